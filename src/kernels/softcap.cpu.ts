/** CPU twin of shaders/softcap.wgsl: cap * tanh(y / cap), in f64. */

export function softcapCpu(y: Float32Array, count: number, cap: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = cap * Math.tanh(y[i] / cap);
  return out;
}
