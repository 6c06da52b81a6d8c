/// <reference lib="webworker" />
// The browser bench's tabserve half: the engine in a dedicated Worker on the browser's WebGPU, loading the
// model over HTTP Range requests as the app does, measured by the same code as `tabserve bench` in Node, on
// an English text prompt (wllama takes no token ids).
import { openGpu } from '../../gpu/device.ts';
import { urlSource } from '../../gguf/source.ts';
import type { Tokenizer } from '../../tokenizer/tokenizer.ts';
import { measureOurs } from '../ours.ts';
import type { BenchWorkerReply, BenchWorkerRequest } from './messages.ts';

declare const self: DedicatedWorkerGlobalScope;

/**
 * Tokens that are not text on their own: control tokens, and pieces of a UTF-8 character (byte tokens,
 * byte-level BPE fragments). wllama fails on output that is not valid UTF-8 (a random model emits such
 * tokens), so its run bans these; banning costs llama.cpp's sampler a pass over the list per token.
 */
function notText(tok: Tokenizer): number[] {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const out: number[] = [];
  for (let id = 0; id < tok.nVocab; id++) {
    try {
      if (!tok.isText(id)) throw new Error('control');
      utf8.decode(tok.tokenBytes(id));
    } catch {
      out.push(id);
    }
  }
  return out;
}

async function run(r: BenchWorkerRequest): Promise<BenchWorkerReply> {
  try {
    const gpu = await openGpu(navigator.gpu);
    try {
      let banned: number[] = [];
      const ours = await measureOurs(gpu, () => urlSource(r.url), { promptTokens: r.promptTokens, maxTokens: r.maxTokens, text: true, onTokenizer: (tok) => (banned = notText(tok)) });
      return { kind: 'done', ours, info: gpu.info, banned };
    } finally {
      gpu.device.destroy();
    }
  } catch (e) {
    return { kind: 'error', message: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

self.onmessage = async (e: MessageEvent<BenchWorkerRequest>) => self.postMessage(await run(e.data));
