import { kernelSuite } from './suite.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { checkEmbedding, embeddingCases } from './embedding.check.ts';
import { EMBEDDING_CODE } from './embedding.ts';

// the small cases of one type (the spill case only where the mutation needs it)
const typeCases = (t: GgmlType) => embeddingCases(5, 0).filter((c) => c.type === t && c.m * c.n < 1e6);
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
  ],
});
