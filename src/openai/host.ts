/**
 * One served model: the engine with the tokenizer and chat template read from the same GGUF, and its
 * loading state. The OpenAI handler (handler.ts) answers from a ModelHost: 503 while it loads, the model's
 * id in /v1/models, prompts rendered and tokenized with its own template and vocabulary.
 */
import { Engine, type LoadOptions, type LoadProgress } from '../engine/engine.ts';
import type { Gpu } from '../gpu/device.ts';
import type { ByteSource } from '../gguf/source.ts';
import { ChatTemplate } from '../template/chat_template.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';

export type HostState =
  | { kind: 'loading'; progress?: LoadProgress }
  | { kind: 'ready'; engine: Engine; tokenizer: Tokenizer; template: ChatTemplate }
  | { kind: 'failed'; error: Error };

export class ModelHost {
  private current: HostState = { kind: 'loading' };
  private readonly ready: Promise<void>;

  /** Starts loading `source` on `gpu`; `id` is the model id clients send (default: the file name without .gguf). */
  constructor(
    gpu: Gpu,
    source: ByteSource,
    readonly id: string = source.name.split(/[\\/]/).pop()!.replace(/\.gguf$/i, ''),
    options: LoadOptions = {},
    readonly created: number = Math.floor(Date.now() / 1000), // Unix seconds, as OpenAI
  ) {
    this.ready = (async () => {
      try {
        const engine = await Engine.load(gpu, source, { ...options, onProgress: (p) => this.onProgress(p, options) });
        const tokenizer = tokenizerFromGguf(engine.metadata);
        const template = ChatTemplate.fromMetadata(engine.metadata);
        this.current = { kind: 'ready', engine, tokenizer, template };
      } catch (e) {
        this.current = { kind: 'failed', error: e instanceof Error ? e : new Error(String(e)) };
      }
    })();
  }

  private onProgress(p: LoadProgress, options: LoadOptions): void {
    if (this.current.kind === 'loading') this.current = { kind: 'loading', progress: p };
    options.onProgress?.(p);
  }

  get state(): HostState {
    return this.current;
  }

  /** Resolves when loading ended (ready or failed; see `state`). */
  loaded(): Promise<void> {
    return this.ready;
  }

  unload(): void {
    if (this.current.kind === 'ready') this.current.engine.unload();
    this.current = { kind: 'failed', error: new Error('the model was unloaded') };
  }
}
