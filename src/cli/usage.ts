export const USAGE = `usage: tabserve <command> [options]

commands:
  make-test-model   write a GGUF v3 model with deterministic random weights
      --arch ARCH                   llama qwen2 qwen3 phi3 gemma2 gemma3 (default llama); phi3 fuses
                    attn_qkv and gate+up, gemma2 always ties its output to token_embd
      --type TYPE                   type of the 2-D weights; norms and biases stay f32 (default f32):
                    f32 f16 bf16; q8_0 q4_0 q4_1 q5_0 q5_1 (--embd and --ff multiples of 32);
                    q4_k q5_k q6_k (multiples of 256); q4_k_m, laid out as llama.cpp's Q4_K_M: Q4_K, with
                    Q6_K for output.weight and for attn_v and ffn_down in about half the layers (multiples of 256)
      --out FILE.gguf               where to write (required)
      --embd N      width of the residual stream (default 256)
      --layers N    transformer blocks (default 2)
      --heads N     query heads; must divide --embd (default 4)
      --kv-heads N  key/value heads; must divide --heads (default 2)
      --ff N        feed-forward hidden width (default 512)
      --ctx N       context length written to the metadata (default 512)
      --seed N      seed of the random weights (default 1)
      --tied-embeddings   no output.weight: logits reuse token_embd.weight
      --rope-freqs  (llama) add a rope_freqs.weight tensor of llama3-style rope frequency factors
      --head-dim N  head size, when not embd / heads (gemma: 256 with embd 2304)
      --rope-dims N rotated dimensions per head (partial rotary; default the head size)
      --rope-factors  (phi3) short and long rope factors, attn_factor 1.19; context 4 x --ctx, trained on --ctx
      --rope-scale F  linear rope scaling factor (llama.cpp: global layers; gemma2 all layers)
      --sliding-window N  (llama: every layer, Mistral-style; gemma2 default 4096; gemma3) window in tokens
      --swa-pattern N     (gemma2/3) layer l windowed iff N = 0 or l % N < N - 1 (defaults 2 and 6)
      --rope-base-swa F   (gemma2/3) rope base of windowed layers
      --attn-softcap F    (gemma2) attention score cap (default 50)
      --final-softcap F   (gemma2 default 30; gemma3 none) logit cap
      --vocab-from VOCAB.gguf   copy the tokenizer.* metadata (tokens, merges, scores, types, special ids,
                    pre-tokenizer, chat template) from a real GGUF; without it a small built-in
                    SentencePiece-style vocabulary with byte fallback and a ChatML template is used
      --chat-template FILE.jinja    store this chat template (tokenizer.chat_template) instead

  generate          load a GGUF model on WebGPU and continue a prompt (greedy unless --temperature)
      --model FILE.gguf             the model (required)
      --prompt TEXT                 the prompt as text (BOS added when the model asks for it)
      --chat                        wrap --prompt in the model's chat template as a user message
      --prompt-ids 1,2,3            the prompt as token ids, instead of --prompt
      --max-tokens N                most tokens to generate (default 32)
      --temperature T               0 = greedy (default 0)
      --top-k N  --top-p P  --min-p P   truncation (defaults off: 0, 1, 0)
      --seed N                      seed of the sampler (same seed, same output)
      --stop TEXT                   a stop string (repeatable); the text stops before it
      --ignore-eos                  do not stop at the model's end-of-generation tokens
      --f32-inputs                  Q8_0 / Q4_0 / Q4_K matmuls keep f32 inputs instead of quantizing them to 8-bit
                    blocks for integer dot products, as llama.cpp does (slower; closer to an fp32 reference)
      --json                        print {"tokens":[...],"text":...,"finish_reason":...,"timings":{...}}
                    In Node, WebGPU runs on Dawn; on a machine set up by \`npm run setup\` without a GPU
                    driver the CLI re-runs itself with the private Mesa lavapipe (TABSERVE_SYSTEM_VULKAN=1
                    keeps the system's Vulkan driver).

  serve             serve the OpenAI routes (/v1/chat/completions, /v1/completions, /v1/models, /health)
                    over HTTP with the model on WebGPU
      --model FILE.gguf             the model (required)
      --host ADDR                   address to listen on (default 127.0.0.1)
      --port N                      port (default 8000; 0 picks a free one)
      --id NAME                     the model id clients send (default: the file name without .gguf)
                    Answers 503 with retry-after while the model loads. Stops on Ctrl-C / SIGTERM.

  tokenize          the model's tokenizer over stdin: one JSON string per line in, one JSON array of ids out
      --model FILE.gguf             a model or vocab-only GGUF (required)
      --special                     parse special-token texts (e.g. <|im_start|>) as special tokens
                    No BOS/EOS is added. A bad line prints {"error": ...} for that line and exit code 1.

  detokenize        the reverse: one JSON array of ids per line in, one JSON string out
      --model FILE.gguf             (required)

  bench             speed of single-stream prefill and decode, side by side with llama.cpp, in one run
      --model FILE.gguf             a model to bench (repeatable); default: generated models of --shape and --type
      --shape LIST                  smollm2-135m qwen2.5-0.5b qwen3-0.6b llama3.2-1b, comma-separated, or all
                    (default smollm2-135m): real dimensions and vocabularies, random weights, written
                    once to .cache/bench/ (needs "npm run setup" for the vocabularies)
      --type LIST                   q8_0 q4_0 q4_k, comma-separated, or all (default q8_0); pairs a
                    shape cannot be written in (q4_k needs widths that are multiples of 256) are skipped
      --prompt-tokens N             random prompt tokens (default 512)
      --max-tokens N                tokens generated, EOS ignored (default 128)
      --temperature T               0: greedy (default); above 0: the timed tokens are sampled, by us and by
                    llama.cpp, seed 1 (OpenAI's defaults are --temperature 1: drawn from the whole row on the GPU)
      --top-p P                     with --temperature: nucleus sampling (default 1: off)
      --top-k K                     with --temperature: the K most likely only (default 0: the whole vocabulary)
      --peer llama.cpp|none         also run llama.cpp (node-llama-cpp) on the same file (default llama.cpp)
      --streams 1,4,16              also measure aggregate throughput of this many concurrent streams
      --stream-tokens N             prompt and generated tokens per concurrent stream (default 32)
      --browser                     also bench in headless Chromium (the source checkout, dev dependencies):
                    tabserve in a Worker on WebGPU, then wllama (llama.cpp in wasm) in the same page, on the
                    same file and an English prompt of about --prompt-tokens tokens
      --browser-peers LIST          wllama backends for --browser: cpu, webgpu, comma-separated, all, or none
                    (default cpu,webgpu)
      --record FILE.md              append the report to FILE.md (BENCHMARKS.md)
      --json                        one JSON object instead of the Markdown report
      --profile                     also a decode step's and the prompt's last prefill chunk's GPU time per
                    kernel (timestamp queries)
      --lanes LIST                  also our run with that many lanes per matmul row (powers of two <= 64)
      --prefill-rows LIST           also our run with that many rows per invocation in the prefill matmuls (1..4)
      --decode-rows LIST            the same for the decode matmuls
                    Reports TTFT, prefill and decode tokens/s, host ms per decode step (encode + submit + read
                    back), weights GB/s per decode step and its share of the adapter's streaming-read
                    bandwidth (measured in the same run), GPU memory, load MB/s; ratios are ours / llama.cpp.

  check             run every kernel against its CPU twin on this machine's WebGPU adapter: the adapter,
                    then per kernel the cases passed / total and the largest error (a line per failing case);
                    exit code 0 when every case passes, 1 otherwise
      --json                        one JSON object {"ok","adapter","results","ms","uncaptured"} instead

  help              print this text

Bad arguments print one line on stderr and exit with code 2.`;


/** An error caused by how a command was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
