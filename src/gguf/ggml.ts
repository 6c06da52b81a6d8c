/**
 * GGML tensor types as stored in GGUF files: ids, block sizes and the bytes per block.
 * Ids come from @huggingface/gguf's GGMLQuantizationType (the same numbers as ggml.h).
 */
import { GGMLQuantizationType } from '@huggingface/gguf';

export { GGMLQuantizationType as GgmlType };

export interface TypeLayout {
  name: string;
  blockElems: number; // elements per block
  blockBytes: number; // bytes per block
}

/** The types tabserve can read and write. Others are named in errors via `ggmlTypeName`. */
export const TYPE_LAYOUT: Partial<Record<GGMLQuantizationType, TypeLayout>> = {
  [GGMLQuantizationType.F32]: { name: 'F32', blockElems: 1, blockBytes: 4 },
  [GGMLQuantizationType.F16]: { name: 'F16', blockElems: 1, blockBytes: 2 },
  [GGMLQuantizationType.BF16]: { name: 'BF16', blockElems: 1, blockBytes: 2 },
  [GGMLQuantizationType.Q8_0]: { name: 'Q8_0', blockElems: 32, blockBytes: 34 }, // f16 scale + 32 x i8
  [GGMLQuantizationType.Q4_0]: { name: 'Q4_0', blockElems: 32, blockBytes: 18 }, // f16 scale + 16 bytes of nibbles
  [GGMLQuantizationType.Q4_1]: { name: 'Q4_1', blockElems: 32, blockBytes: 20 }, // f16 scale, f16 min, 16 bytes of nibbles
  [GGMLQuantizationType.Q5_0]: { name: 'Q5_0', blockElems: 32, blockBytes: 22 }, // f16 scale, 4 bytes of fifth bits, nibbles
  [GGMLQuantizationType.Q5_1]: { name: 'Q5_1', blockElems: 32, blockBytes: 24 }, // f16 scale, f16 min, fifth bits, nibbles
  // K-quants: super-blocks of 256 (layouts in kquant.ts)
  [GGMLQuantizationType.Q4_K]: { name: 'Q4_K', blockElems: 256, blockBytes: 144 }, // f16 d, dmin, 12 scale bytes, 128 of nibbles
  [GGMLQuantizationType.Q5_K]: { name: 'Q5_K', blockElems: 256, blockBytes: 176 }, // as Q4_K + 32 bytes of fifth bits
  [GGMLQuantizationType.Q6_K]: { name: 'Q6_K', blockElems: 256, blockBytes: 210 }, // 128 + 64 bytes of quants, 16 x i8 scales, f16 d
};

export function ggmlTypeName(t: number): string {
  return TYPE_LAYOUT[t as GGMLQuantizationType]?.name ?? GGMLQuantizationType[t] ?? `type ${t}`;
}

/** Bytes taken by `elems` elements of type `t`; throws for types we do not know or misaligned counts. */
export function tensorBytes(t: GGMLQuantizationType, elems: number): number {
  const layout = TYPE_LAYOUT[t];
  if (!layout) throw new Error(`unsupported tensor type ${ggmlTypeName(t)}`);
  if (elems % layout.blockElems !== 0) {
    throw new Error(`${elems} elements is not a multiple of the ${layout.name} block size ${layout.blockElems}`);
  }
  return (elems / layout.blockElems) * layout.blockBytes;
}
