import { kernelSuite } from './suite.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { Q4_0_R, Q6_K_R, Q8_0_R, type WeightType } from '../model/repack.ts';
import { checkMatmulQ8, matmulQ8Cases } from './matmul_q8.check.ts';
import { subgroupCase } from './matmul.check.ts';
import { MATMUL_Q8_CODE } from './matmul_q8.ts';

const all = matmulQ8Cases(31, 1);
const typeCases = (t: WeightType) => all.filter((c) => c.type === t && c.n < 1000);
const oneLane = all.filter((c) => c.lanes === 1);
const prefill = all.filter((c) => c.m > 8);
const rows = all.filter((c) => (c.rpi ?? 1) > 1);
const lanedRows = rows.filter((c) => c.lanes !== 1);
kernelSuite('matmul_q8', {
  code: MATMUL_Q8_CODE,
  cases: matmulQ8Cases(31),
  seed: 31,
  check: checkMatmulQ8,
  mutations: [
    ['segment 2 written over segment 1', all.filter((c) => c.segments), 'return params.base2 + t * (params.n - params.seg2) + (o - params.seg2);', 'return params.base1 + t * (params.n - params.seg2) + (o - params.seg2);'],
    ['segment 1 rows strided as segment 0', all.filter((c) => c.segments), 'return params.base1 + t * (params.seg2 - params.seg1) + (o - params.seg1);', 'return params.base1 + t * params.y_stride + (o - params.seg1);'],
    ['Q8_0: the second half of a block skipped', typeCases(Q8_0_R), 'hi = w4[qs + 2u * blk + 1u];', 'hi = w4[qs + 2u * blk];'],
    ['Q4_0: nibbles swapped', typeCases(Q4_0_R), 'lo = p & vec4<u32>(0x0f0f0f0fu);', 'lo = (p >> vec4<u32>(4u)) & vec4<u32>(0x0f0f0f0fu);'],
    ['Q4_0: the -8 offset dropped', typeCases(Q4_0_R), 'isum -= 8 * i32(dx.y);', 'isum -= 0;'],
    ['x scale ignored', typeCases(Q8_0_R), 's[r * 8u + tt] += wb[r].dw * dx.x * f32(isum);', 's[r * 8u + tt] += wb[r].dw * f32(isum);'],
    ['one word of x paired with the wrong weights', typeCases(Q8_0_R), 'dot4I8Packed(hi.w, b.w)', 'dot4I8Packed(hi.w, b.z)'],
    ['blocks read right after the scales, unpadded', typeCases(Q8_0_R), 'return ((k / 32u) * 2u + 15u) & ~15u;', 'return (k / 32u) * 2u;'],
    ['x offset ignored', all.filter((c) => c.skip), 'let xb = params.x_offset / 32u + t0 * nb;', 'let xb = t0 * nb;'],
    ['prefill groups read the first token\'s x for all', prefill, 'let xi = xb + tt * nb + blk;', 'let xi = xb + blk;'],
    ['one lane per row: every token written to the first', oneLane, 'y[out_index(t0 + tt, o + r * WG)] = out_value(o + r * WG, s[r * 8u + tt]);', 'y[out_index(t0, o + r * WG)] = out_value(o + r * WG, s[r * 8u + tt]);'],
    ['rows per invocation: all written to the first', rows, 'y[out_index(t0 + tt, o + r * WG)] = out_value(o + r * WG, s[r * 8u + tt]);', 'y[out_index(t0 + tt, o)] = out_value(o + r * WG, s[r * 8u + tt]);'],
    ['rows per invocation: each row given the first row\'s bias', all.filter((c) => c.biasAt !== undefined && c.rpi), 'out_value(o + r * WG, s[r * 8u + tt])', 'out_value(o, s[r * 8u + tt])'],
    ['bias of a part read from its element 0', all.filter((c) => c.biasAt), 'return v + bias[params.bias_at + o];', 'return v + bias[o];'],
    ['rows per invocation: every row reads the first row\'s weights', rows, 'row_at(o + r * rows), blk);', 'row_at(o), blk);'],
    ['rows per invocation: Q6_K rows all read the first row\'s weights', rows.filter((c) => c.type === Q6_K_R), 'q6_half(row_at(o + r * rows), u);', 'q6_half(row_at(o), u);'],
    ['Q4_K: d and dmin swapped', typeCases(GgmlType.Q4_K), 'b.dw = dd.x * sm.x;', 'b.dw = dd.y * sm.x;'],
    ['Q4_K: min not subtracted', typeCases(GgmlType.Q4_K), 's[r * 8u + tt] += dx.x * (wb[r].dw * f32(isum) - wb[r].mw * dx.y);', 's[r * 8u + tt] += dx.x * wb[r].dw * f32(isum);'],
    ['Q4_K: odd sub-blocks read from the low nibbles', typeCases(GgmlType.Q4_K), 'let shift = vec4<u32>((sb % 2u) * 4u);', 'let shift = vec4<u32>(0u);'],
    ['Q4_K: sub-block pairs read 16 bytes apart', typeCases(GgmlType.Q4_K), '(p + 16u + 32u * (sb / 2u)) >> 4u', '(p + 16u + 16u * (sb / 2u)) >> 4u'],
    ['Q4_K: scales 4..7 from the wrong nibble', typeCases(GgmlType.Q4_K), '(lo & 15u)', '(lo >> 4u)'],
    ['Q6_K: the -32 offset dropped', typeCases(Q6_K_R), 'return (q6 + vec4<u32>(0x60606060u)) ^ vec4<u32>(0x80808080u);', 'return q6;'],
    ['Q6_K: elements 16..31 scaled as 0..15', typeCases(Q6_K_R), 'b.dw2 = d * f32(bitcast<i32>(v << 16u) >> 24u);', 'b.dw2 = d * f32(bitcast<i32>(v << 24u) >> 24u);'],
    ['Q6_K: blocks 1 and 3 take the scales of 0 and 2', typeCases(Q6_K_R), 'let v = sw >> (16u * (c % 2u));', 'let v = sw;'],
    ['Q6_K: high bits of the wrong pair', typeCases(Q6_K_R), 'b.lo = q6_words(l0, h0, 4u * (c / 2u), 2u * c);', 'b.lo = q6_words(l0, h0, 4u * (c / 2u), c);'],
    ['Q6_K: blocks 2 and 3 read the low nibbles', typeCases(Q6_K_R), 'b.hi = q6_words(l1, h1, 4u * (c / 2u), 2u * c);', 'b.hi = q6_words(l1, h1, 0u, 2u * c);'],
    ['Q6_K decode: second half of the super-block read from the first', typeCases(Q6_K_R).filter((c) => c.m === 1 && c.lanes === 1), 'let l = (s.ql + 64u * h) >> 4u;', 'let l = s.ql >> 4u;'],
    ['Q6_K decode: the half\'s second eight scales taken from the first word', typeCases(Q6_K_R).filter((c) => c.m === 1 && c.lanes === 1), 'let sb = w[sc + 1u];', 'let sb = w[sc];'],
    ['Q6_K: a block alone takes the ql bytes of block c - 1', typeCases(Q6_K_R).filter((c) => c.m > 1 || c.lanes !== 1), 'let l = ((s.ql + 64u * h) >> 4u) + 2u * (c % 2u);', 'let l = ((s.ql + 64u * h) >> 4u) + 2u * ((c + 1u) % 2u);'],
    ['Q6_K: a block alone takes its half from the wrong bits of blk', typeCases(Q6_K_R).filter((c) => c.m > 1 || c.lanes !== 1), 'let h = (blk / 4u) % 2u;', 'let h = (blk / 2u) % 2u;'],
    ['Q6_K: repacked d\'s taken as unpadded', typeCases(Q6_K_R), 'let sc = row + ((2u * nsb + 15u) & ~15u);', 'let sc = row + 2u * nsb;'],
    ['rows after the first of a workgroup not reduced', typeCases(Q8_0_R).filter((c) => c.lanes !== 1), 'if (j < stride)', 'if (lid < stride)'],
    ['subgroups: only a row\'s first group of lanes summed', all.filter(subgroupCase), 'for (var i = 0u; i < TPR / lanes; i++) {', 'for (var i = 0u; i < 1u; i++) {'],
    ['subgroups: the first halving skipped', all.filter(subgroupCase), 'let v = lanes_sum(s[r * 8u + tt], lanes);', 'let v = lanes_sum(s[r * 8u + tt], lanes / 2u);'],
    ['subgroups: group sums stored at the lane\'s own index', all.filter(subgroupCase), 'partial[(r * TT + tt) * WG + lid / lanes] = v;', 'partial[(r * TT + tt) * WG + lid] = v;'],
    ['rows per invocation, subgroups: every row written to the first', lanedRows.filter(subgroupCase), 'y[out_index(t0 + tt, o + r * rows)] = out_value(o + r * rows, v);', 'y[out_index(t0 + tt, o)] = out_value(o + r * rows, v);'],
    ['rows per invocation, subgroups: the rows\' group sums share one slot', lanedRows.filter(subgroupCase), 'v += partial[(r * TT + tt) * WG + lid / lanes + i];', 'v += partial[tt * WG + lid / lanes + i];'],
    ['rows per invocation, a tree: the rows\' sums share one slot', lanedRows.filter((c) => !subgroupCase(c)), 'let at = (r * TT + tt) * WG + lid;', 'let at = tt * WG + lid;'],
    ['rows per invocation, a tree: each row stores the first row\'s sums', lanedRows.filter((c) => !subgroupCase(c)), 'out_value(o + r * rows, partial[(r * TT + tt) * WG + lid]);', 'out_value(o + r * rows, partial[tt * WG + lid]);'],
  ],
});
