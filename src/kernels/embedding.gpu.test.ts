import { kernelSuite } from './suite.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { Q4_0_R, Q6_K_R, Q8_0_R, type WeightType } from '../model/repack.ts';
import { checkEmbedding, embeddingCases } from './embedding.check.ts';
import { EMBEDDING_CODE } from './embedding.ts';

// the small cases of one type (the spill case only where the mutation needs it)
const typeCases = (t: WeightType) => embeddingCases(5, 0).filter((c) => c.type === t && c.m * c.n < 1e6);
const spillCase = embeddingCases(5, 0).filter((c) => c.m * c.n > 1e6);
kernelSuite('embedding', {
  code: EMBEDDING_CODE,
  cases: embeddingCases(5),
  seed: 5,
  check: checkEmbedding,
  mutations: [
    ['ids outside the part overwrite y', typeCases(GgmlType.F16), 'if (id < params.row_lo || id >= params.row_lo + params.rows) {', 'if (false) {'],
    ['part start ignored (row_lo taken as 0)', typeCases(GgmlType.Q8_0), 'let row = params.w_offset + (id - params.row_lo) * params.row_bytes;', 'let row = params.w_offset + id * params.row_bytes;'],
    ['table offset ignored', typeCases(GgmlType.BF16), 'let row = params.w_offset + (id - params.row_lo)', 'let row = 0u + (id - params.row_lo)'],
    ['token taken from the element index', typeCases(GgmlType.F32), 'let id = ids[t];', 'let id = ids[i % params.m];'],
    ['spilled workgroups recompute the wrong index', spillCase, 'let e = (wg.x + wg.y * nwg.x) * WG + lid;', 'let e = wg.x * WG + lid;'],
    ['Q4_1 high nibble read for elements 0..15', typeCases(GgmlType.Q4_1), '(byte_at(p + 4u + j % 16u) >> ((j / 16u) * 4u))', '(byte_at(p + 4u + j % 16u) >> 4u)'],
    ['Q5_0 fifth bits read from the wrong offset', typeCases(GgmlType.Q5_0), 'u32_at_even(p + 2u)', 'u32_at_even(p + 4u)'],
    ['Q4_K high-nibble sub-blocks read the low nibble', typeCases(GgmlType.Q4_K), '>> ((s % 2u) * 4u)', '>> 0u'],
    ['Q5_K super-blocks taken as Q4_K-sized', typeCases(GgmlType.Q5_K), 'select(144u, 176u, big)', '144u'],
    ['repacked Q8_0: block 0\'s scale for the whole row', typeCases(Q8_0_R), 'return f16_at(row + 2u * (i / 32u)) * i8_at(row + repacked_qs(k) + i);', 'return f16_at(row) * i8_at(row + repacked_qs(k) + i);'],
    ['repacked Q4_0: blocks of 18 bytes as in the file', typeCases(Q4_0_R), 'let q = byte_at(row + repacked_qs(k) + (i / 32u) * 16u + j % 16u);', 'let q = byte_at(row + repacked_qs(k) + (i / 32u) * 18u + j % 16u);'],
    ['scale ignored', typeCases(GgmlType.F32), 'weight_at(WTYPE, row, i, params.n) * params.scale', 'weight_at(WTYPE, row, i, params.n)'],
    ['Q6_K scale per 32 elements instead of 16', typeCases(GgmlType.Q6_K), 'i8_at(s.sc + e / 16u)', 'i8_at(s.sc + e / 32u)'],
    ['repacked Q6_K: every super-block given the first\'s d', typeCases(Q6_K_R), 'f16_at(row + 2u * sb)', 'f16_at(row)'],
  ],
});
