/**
 * Download speed and time left, from the (loadedBytes, time) samples the download worker reports about ten
 * times a second. Pure: the clock is an argument, so tests drive it.
 */

export interface DownloadProgress {
  loadedBytes: number; // on disk (a resumed download starts at what was kept)
  totalBytes: number; // 0 while unknown
  bytesPerSecond: number; // over the last few seconds; 0 until there is enough to measure
  secondsLeft: number | null; // null while the speed or the total is unknown
}

interface Sample {
  bytes: number;
  ms: number;
}

/**
 * Speed over a sliding window (default 4 s): steady enough to read, quick to follow a change. The bytes a
 * resumed download starts with are not counted (the first sample is the baseline), and a restart (fewer
 * bytes than before: the server ignored Range) starts a new window.
 */
export class SpeedMeter {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = 4000) {}

  add(bytes: number, ms: number): void {
    const last = this.samples.at(-1);
    if (last && bytes < last.bytes) this.samples = [];
    this.samples.push({ bytes, ms });
    // keep the newest sample at or before the window's start, so the window always spans windowMs
    while (this.samples.length > 2 && this.samples[1].ms <= ms - this.windowMs) this.samples.shift();
  }

  /** Bytes per second; 0 until the samples span at least 250 ms. */
  bytesPerSecond(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.ms - first.ms < 250) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.ms - first.ms);
  }
}

export function progressOf(loadedBytes: number, totalBytes: number, bytesPerSecond: number): DownloadProgress {
  const left = totalBytes - loadedBytes;
  const secondsLeft = totalBytes > 0 && bytesPerSecond > 0 ? Math.max(0, left) / bytesPerSecond : totalBytes > 0 && left <= 0 ? 0 : null;
  return { loadedBytes, totalBytes, bytesPerSecond, secondsLeft };
}

/** Lets a call through at most every `intervalMs` (the last one must be sent by the caller with force). */
export class Throttle {
  private lastMs = -Infinity;

  constructor(private readonly intervalMs: number) {}

  ready(ms: number, force = false): boolean {
    if (!force && ms - this.lastMs < this.intervalMs) return false;
    this.lastMs = ms;
    return true;
  }
}
