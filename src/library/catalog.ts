/**
 * Models a person can download with one click: small instruct GGUF files from well-known Hugging Face
 * repositories, by their `resolve/main` URLs (the file itself, not its page). `supported` follows from the
 * quant and architecture (support.ts), except where a file is known to hold other types than its label
 * says. Sizes are approximate: for display and the early quota check; the server's Content-Length decides.
 */
import { archProblem, quantProblem } from './support.ts';

export interface CatalogEntry {
  id: string; // also the stored model's id and OPFS file name (<id>.gguf)
  name: string;
  url: string;
  bytes: number; // approximate file size
  arch: string; // GGUF general.architecture
  quant: string; // the file's quant label: Q8_0, Q4_0, Q4_K_M, ...
  supported: boolean;
  why?: string; // when unsupported: what stops it, in plain words
  testModel?: boolean; // random weights: for trying the app, not for answers
}

const HF = 'https://huggingface.co';

/** An entry whose support follows from its quant and arch, unless `why` says otherwise. */
function entry(e: Omit<CatalogEntry, 'supported' | 'why'> & { why?: string }): CatalogEntry {
  const why = e.why ?? archProblem(e.arch) ?? quantProblem(e.quant);
  return why ? { ...e, supported: false, why } : { ...e, supported: true };
}


export const CATALOG: readonly CatalogEntry[] = [
  entry({ id: 'smollm2-135m-instruct-q8_0', name: 'SmolLM2 135M Instruct (Q8_0)', arch: 'llama', quant: 'Q8_0', bytes: 145_000_000, url: `${HF}/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q8_0.gguf` }),
  entry({ id: 'smollm2-135m-instruct-q4_0', name: 'SmolLM2 135M Instruct (Q4_0)', arch: 'llama', quant: 'Q4_0', bytes: 92_000_000, url: `${HF}/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q4_0.gguf` }),
  entry({ id: 'smollm2-135m-instruct-q4_k_m', name: 'SmolLM2 135M Instruct (Q4_K_M)', arch: 'llama', quant: 'Q4_K_M', bytes: 105_000_000, url: `${HF}/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q4_K_M.gguf` }),
  entry({ id: 'smollm2-360m-instruct-q8_0', name: 'SmolLM2 360M Instruct (Q8_0)', arch: 'llama', quant: 'Q8_0', bytes: 386_000_000, url: `${HF}/bartowski/SmolLM2-360M-Instruct-GGUF/resolve/main/SmolLM2-360M-Instruct-Q8_0.gguf` }),
  entry({ id: 'smollm2-360m-instruct-q4_k_m', name: 'SmolLM2 360M Instruct (Q4_K_M)', arch: 'llama', quant: 'Q4_K_M', bytes: 271_000_000, url: `${HF}/bartowski/SmolLM2-360M-Instruct-GGUF/resolve/main/SmolLM2-360M-Instruct-Q4_K_M.gguf` }),
  entry({ id: 'qwen2.5-0.5b-instruct-q8_0', name: 'Qwen2.5 0.5B Instruct (Q8_0)', arch: 'qwen2', quant: 'Q8_0', bytes: 676_000_000, url: `${HF}/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q8_0.gguf` }),
  entry({ id: 'qwen2.5-0.5b-instruct-q4_0', name: 'Qwen2.5 0.5B Instruct (Q4_0)', arch: 'qwen2', quant: 'Q4_0', bytes: 429_000_000, url: `${HF}/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_0.gguf` }),
  entry({ id: 'qwen2.5-0.5b-instruct-q4_k_m', name: 'Qwen2.5 0.5B Instruct (Q4_K_M)', arch: 'qwen2', quant: 'Q4_K_M', bytes: 491_000_000, url: `${HF}/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf` }),
  entry({ id: 'qwen3-0.6b-q8_0', name: 'Qwen3 0.6B (Q8_0)', arch: 'qwen3', quant: 'Q8_0', bytes: 639_446_688, url: `${HF}/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf` }),
  entry({ id: 'qwen3-0.6b-q4_k_m', name: 'Qwen3 0.6B (Q4_K_M)', arch: 'qwen3', quant: 'Q4_K_M', bytes: 396_705_472, url: `${HF}/unsloth/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q4_K_M.gguf` }),
  entry({ id: 'llama-3.2-1b-instruct-q8_0', name: 'Llama 3.2 1B Instruct (Q8_0)', arch: 'llama', quant: 'Q8_0', bytes: 1_321_000_000, url: `${HF}/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q8_0.gguf` }),
  entry({ id: 'llama-3.2-1b-instruct-q4_0', name: 'Llama 3.2 1B Instruct (Q4_0)', arch: 'llama', quant: 'Q4_0', bytes: 771_000_000, url: `${HF}/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_0.gguf` }),
  entry({ id: 'llama-3.2-1b-instruct-q4_k_m', name: 'Llama 3.2 1B Instruct (Q4_K_M)', arch: 'llama', quant: 'Q4_K_M', bytes: 807_694_464, url: `${HF}/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf` }),
  entry({ id: 'gemma-3-1b-it-q8_0', name: 'Gemma 3 1B Instruct (Q8_0)', arch: 'gemma3', quant: 'Q8_0', bytes: 1_070_000_000, url: `${HF}/ggml-org/gemma-3-1b-it-GGUF/resolve/main/gemma-3-1b-it-Q8_0.gguf` }),
  entry({ id: 'gemma-3-1b-it-q4_k_m', name: 'Gemma 3 1B Instruct (Q4_K_M)', arch: 'gemma3', quant: 'Q4_K_M', bytes: 806_000_000, url: `${HF}/ggml-org/gemma-3-1b-it-GGUF/resolve/main/gemma-3-1b-it-Q4_K_M.gguf` }),
  entry({ id: 'gemma-2-2b-it-q4_k_m', name: 'Gemma 2 2B Instruct (Q4_K_M)', arch: 'gemma2', quant: 'Q4_K_M', bytes: 1_710_000_000, url: `${HF}/bartowski/gemma-2-2b-it-GGUF/resolve/main/gemma-2-2b-it-Q4_K_M.gguf` }),
  entry({ id: 'phi-3.5-mini-instruct-q4_k_m', name: 'Phi-3.5 mini Instruct (Q4_K_M)', arch: 'phi3', quant: 'Q4_K_M', bytes: 2_390_000_000, url: `${HF}/bartowski/Phi-3.5-mini-instruct-GGUF/resolve/main/Phi-3.5-mini-instruct-Q4_K_M.gguf` }),
];

/** Served with the app (public/models/, made by `npm start`): always there, never downloaded or stored. */
export const BUILTIN_MODEL: CatalogEntry = {
  id: 'tabserve-test',
  name: 'Built-in test model (random weights: its output is random text)',
  url: '/models/tabserve-test.gguf',
  bytes: 4_059_968,
  arch: 'llama',
  quant: 'Q8_0',
  supported: true,
  testModel: true,
};

export function catalogEntry(id: string): CatalogEntry | undefined {
  return id === BUILTIN_MODEL.id ? BUILTIN_MODEL : CATALOG.find((e) => e.id === id);
}

/** The catalog entry for a file URL, so that pasting a catalog model's link reuses its id. */
export function catalogEntryForUrl(url: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.url === url);
}
