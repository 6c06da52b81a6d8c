/**
 * y = x W^T with W in a GGUF weight type (shaders/matmul.wgsl), dequantized inside the kernel.
 * Used for every projection: prefill passes m tokens, decode m = 1. CPU twin: matmul.cpu.ts.
 */
import MATMUL_WGSL from '../../shaders/matmul.wgsl?raw';
import { GgmlType, ggmlTypeName, tensorBytes } from '../gguf/ggml.ts';
import { Kernel } from './pipelines.ts';
import { dispatchSize, paramsBuffer } from './runtime.ts';

export const MATMUL_TYPES: readonly GgmlType[] = [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0];

export interface MatmulArgs {
  type: GgmlType; // type of W
  w: GPUBuffer; // holds W at byte offset wOffset: [n rows][k] in `type`
  wOffset?: number; // bytes, a multiple of 4 (GGUF aligns tensors to 32)
  x: GPUBuffer; // [m][k] f32
  y: GPUBuffer; // [m][n] f32
  m: number; // tokens
  k: number; // inputs per row
  n: number; // outputs per token
}

export class MatmulKernel extends Kernel {
  constructor(device: GPUDevice, code: string = MATMUL_WGSL) {
    super(device, 'matmul', code, 64);
  }

  encode(encoder: GPUCommandEncoder, a: MatmulArgs): void {
    if (!MATMUL_TYPES.includes(a.type)) throw new Error(`matmul: unsupported weight type ${ggmlTypeName(a.type)}`);
    const wOffset = a.wOffset ?? 0;
    if (wOffset % 4 !== 0) throw new Error(`matmul: weight offset ${wOffset} is not a multiple of 4 bytes`);
    const rowBytes = tensorBytes(a.type, a.k); // throws when k is not a whole number of blocks
    const params = paramsBuffer(this.device, new Uint32Array([a.k, a.n, a.m, wOffset, rowBytes, 0, 0, 0]).buffer, 'matmul params');
    const [gx, gy] = dispatchSize(this.device, a.n);
    this.pipelines.dispatch(encoder, { WG: this.wg, WTYPE: a.type }, [params, a.w, a.x, a.y], [gx, gy, a.m]);
  }
}
