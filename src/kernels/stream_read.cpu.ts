/** CPU twin of shaders/stream_read.wgsl: out[g] = wrapping sum of the u32s of 16-byte words g, g + grid, ... */

export function streamReadCpu(src: Uint32Array, grid: number): Uint32Array {
  const out = new Uint32Array(grid);
  const words = src.length >>> 2;
  for (let i = 0; i < words; i++) {
    const g = i % grid;
    out[g] = (out[g] + src[4 * i] + src[4 * i + 1] + src[4 * i + 2] + src[4 * i + 3]) >>> 0;
  }
  return out;
}
