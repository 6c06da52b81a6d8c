/**
 * Rotary position embedding on the GPU (shaders/rope.wgsl), in place on q or k; the forward uses rope_kv.ts, and
 * this kernel is the harness of the angle functions they share (rope.check.ts). The angles are exact
 * modulo one turn at any position: the shader is given each frequency as a 64-bit fixed-point number of
 * turns per position (a small table per head size and base, built in f64 here and kept on the device; the
 * shader functions that use it are shaders/rope_turns.wgsl, shared with rope_kv.wgsl).
 * CPU twin: rope.cpu.ts.
 */
import ROPE_WGSL from '../../shaders/rope.wgsl?raw';
import ROPE_TURNS_WGSL from '../../shaders/rope_turns.wgsl?raw';
import type { RopeStyle } from '../model/hparams.ts';
import { Kernel } from './pipelines.ts';
import { dispatchSize, storageBuffer, type Binding, type Recorder } from './runtime.ts';

export interface RopeArgs {
  x: Binding; // [m][heads][hd] f32, rotated in place
  pos: Binding; // u32 [m]: position of token t
  m: number; // tokens
  heads: number;
  hd: number; // head dimension
  nRot?: number; // leading dimensions of a head rotated: even, <= hd (default hd); the rest are left alone
  base: number; // rope.freq_base
  scale?: number; // linear scaling: theta multiplied by it (default 1)
  mscale?: number; // the rotated pairs multiplied by it (phi3's rope.scaling.attn_factor; default 1)
  style: RopeStyle; // 'adjacent' rotates (x[2i], x[2i+1]) (llama); 'halves' rotates (x[i], x[i+nRot/2]) (NEOX: qwen, phi3, gemma)
  freqFactors?: Binding; // f32 [nRot/2], each in [2^-8, 2^24) (llama3 rope_freqs, phi3 rope factors): theta_i = scale * pos * base^(-2i/nRot) / factor[i]
}

/**
 * Frequency i = scale * base^(-2i/nRot) in turns per position (freq / 2pi) as 64-bit fixed-point fractions:
 * words (hi, lo) per pair with turns = (hi * 2^32 + lo) / 2^64. f64 carries ~53 of the 64 bits.
 */
export function ropeTurnTable(nRot: number, base: number, scale = 1): Uint32Array {
  const table = new Uint32Array(nRot);
  for (let i = 0; i < nRot / 2; i++) {
    const g = (scale * Math.pow(base, (-2 * i) / nRot)) / (2 * Math.PI); // turns per position
    const scaled = (g - Math.floor(g)) * 2 ** 32; // whole turns per position never show
    const hi = Math.floor(scaled);
    table[2 * i] = hi;
    table[2 * i + 1] = Math.floor((scaled - hi) * 2 ** 32); // both steps exact in f64
  }
  return table;
}

export const ROPE_CODE = ROPE_TURNS_WGSL + ROPE_WGSL;

/** The turn tables of a device, built on demand by "nRot,base,scale" and kept (rope and rope_kv). */
export class TurnTables {
  private readonly tables = new Map<string, GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  /** The table for nRot of hd dimensions turned at `base` and `scale`, once they are checked (errors name `kernel`). */
  get(nRot: number, hd: number, base: number, scale: number, kernel: string): GPUBuffer {
    if (nRot % 2 !== 0 || nRot <= 0 || nRot > hd) throw new Error(`${kernel}: ${nRot} rotated dimensions is not a positive even number up to the head dimension ${hd}`);
    if (!(base > 0)) throw new Error(`${kernel}: frequency base ${base} is not positive`);
    if (!(scale > 0)) throw new Error(`${kernel}: scale ${scale} is not positive`);
    const key = `${nRot},${base},${scale}`;
    let buf = this.tables.get(key);
    if (!buf) {
      buf = storageBuffer(this.device, ropeTurnTable(nRot, base, scale), `rope turns ${key}`);
      this.tables.set(key, buf);
    }
    return buf;
  }

  destroy(): void {
    for (const b of this.tables.values()) b.destroy();
    this.tables.clear();
  }
}

export class RopeKernel extends Kernel {
  private readonly tables: TurnTables;

  constructor(device: GPUDevice, code: string = ROPE_CODE) {
    super(device, 'rope', code, 64);
    this.tables = new TurnTables(device);
  }

  encode(rec: Recorder, a: RopeArgs): void {
    const nRot = a.nRot ?? a.hd;
    const turns = this.tables.get(nRot, a.hd, a.base, a.scale ?? 1, 'rope');
    const params = new Uint32Array([a.m, a.heads, a.hd, nRot, 0, 0, 0, 0]);
    new Float32Array(params.buffer, 16, 1)[0] = a.mscale ?? 1;
    const constants = { WG: this.wg, STYLE: a.style === 'halves' ? 1 : 0, FACTORS: a.freqFactors ? 1 : 0 };
    const groups = Math.ceil((a.m * nRot) / 2 / this.wg);
    // without factors the shader reads none: any buffer fills the binding
    this.pipelines.dispatch(rec, constants, params.buffer, [a.x, a.pos, turns, a.freqFactors ?? turns], dispatchSize(this.device, groups));
  }

  /** Frees the turn tables (the kernel stays usable: they are rebuilt on demand). */
  destroy(): void {
    this.tables.destroy();
  }
}
