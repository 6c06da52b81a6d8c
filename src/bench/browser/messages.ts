/** What the browser bench's page and Worker exchange, and what the page leaves for the Node driver. */
import type { GpuInfo } from '../../gpu/device.ts';
import type { OurFigures, RunFigures } from '../ours.ts';

/** Page -> Worker: measure tabserve on the model at `url`. */
export interface BenchWorkerRequest {
  url: string;
  promptTokens: number;
  maxTokens: number;
}

/** Worker -> page. */
export type BenchWorkerReply = { kind: 'done'; ours: OurFigures; info: GpuInfo; banned: number[] } | { kind: 'error'; message: string };
// banned: token ids wllama may not sample (not text on their own: see worker.ts)

/** One wllama configuration's figures, or why it has none. */
export interface BrowserPeer {
  name: string; // 'wllama cpu (2 threads)', 'wllama webgpu'
  figures?: RunFigures;
  error?: string;
}

/** window.benchResult once the page is done. */
export type BrowserBenchResult =
  | { kind: 'done'; adapter: string; userAgent: string; ours: OurFigures; peers: BrowserPeer[] }
  | { kind: 'error'; message: string };
