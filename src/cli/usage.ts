export const USAGE = `usage: tabserve <command> [options]

commands:
  make-test-model   write a GGUF v3 model with deterministic random weights
      --arch llama|qwen2|qwen3      architecture (default llama)
      --type f32|f16|bf16|q8_0|q4_0 type of the 2-D weights; norms and biases stay f32 (default f32)
      --out FILE.gguf               where to write (required)
      --embd N      width of the residual stream (default 256)
      --layers N    transformer blocks (default 2)
      --heads N     query heads; must divide --embd (default 4)
      --kv-heads N  key/value heads; must divide --heads (default 2)
      --ff N        feed-forward hidden width (default 512)
      --ctx N       context length written to the metadata (default 512)
      --seed N      seed of the random weights (default 1)
      --tied-embeddings   no output.weight: logits reuse token_embd.weight
      --vocab-from VOCAB.gguf   copy the tokenizer.* metadata (tokens, merges, scores, types, special ids,
                    pre-tokenizer, chat template) from a real GGUF; without it a small built-in
                    SentencePiece-style vocabulary with byte fallback and a ChatML template is used

  help              print this text

Bad arguments print one line on stderr and exit with code 2.`;
