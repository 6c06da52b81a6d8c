/**
 * Numbers for people: byte counts, durations and percents as the library shows them. Pure (Node-testable).
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 0 → "0 B", 1536 → "1.50 KiB", 152_000_000 → "145 MiB": three significant digits, binary units. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Seconds left as "8 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Whole percent done, rounded down so that 100 means complete; 0 while the total is unknown. */
export function percentOf(loadedBytes: number, totalBytes: number): number {
  if (!(totalBytes > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((loadedBytes * 100) / totalBytes)));
}
