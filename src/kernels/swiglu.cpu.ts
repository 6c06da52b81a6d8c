/**
 * CPU twin of shaders/swiglu.wgsl: y[i] = act(g[i]) * u[i] in f64, act = silu(v) = v / (1 + exp(-v)) or
 * the tanh-approximated gelu(v) = 0.5 v (1 + tanh(z)), z = sqrt(2/pi) (v + 0.044715 v^3), computed as
 * v / (1 + exp(-2z)) (the same function; 1 + tanh(z) would cancel to 0 in f64 already at v ~ -8).
 */
import type { Activation } from '../model/hparams.ts';

export function gelu(v: number): number {
  return v / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
}

export function silu(v: number): number {
  return v / (1 + Math.exp(-v));
}

export function swigluCpu(g: Float32Array, u: Float32Array, count: number, act: Activation = 'silu'): Float32Array {
  const f = act === 'gelu' ? gelu : silu;
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) y[i] = f(g[i]) * u[i];
  return y;
}

/** The argument of the sigmoid the kernel evaluates for gate v (its exp's error grows with it): v, or 2z for gelu. */
export function sigmoidArgument(v: number, act: Activation): number {
  const c = Math.max(-100, Math.min(100, v));
  return act === 'gelu' ? 2 * Math.sqrt(2 / Math.PI) * (c + 0.044715 * c * c * c) : v;
}
