import { kernelSuite } from './suite.ts';
import { ROPE_KV_CODE } from './rope_kv.ts';
import { checkRopeKv, ropeKvCases, type RopeKvCase } from './rope_kv.check.ts';

const fixed = ropeKvCases(3, 0).filter((c) => c.seqs[0].len < 1000); // the ~4k-position case is slow on a CPU driver
const where = (f: (c: RopeKvCase) => boolean) => fixed.filter(f);
const halves = where((c) => c.style === 'halves');
const normed = where((c) => !!c.qkNorm);
kernelSuite('rope_kv', {
  code: ROPE_KV_CODE,
  cases: ropeKvCases(3),
  seed: 3,
  check: checkRopeKv,
  mutations: [
    ['keys written unrotated', fixed, 'kw = vec2<f32>(rotated(kb, d0, r0, a0, kf, kn), rotated(kb, d0 + 1u, r1, a1, kf, kn));', 'kw = kw;'],
    ['an adjacent pair\'s first element rotated as its second', where((c) => c.style === 'adjacent'), 'return Role(d ^ 1u, (d & 1u) == 0u, d / 2u);', 'return Role(d ^ 1u, (d & 1u) == 1u, d / 2u);'],
    ['halves: a word\'s second element turned by its first\'s angle', halves, 'if (r1.pair != r0.pair) {', 'if (false) {'],
    ['halves: q pair 2j + 1 left unturned', halves, 'rotate_q(t, d0 + 1u, d0 + 1u + half, a1);', ''],
    ['halves: q pair 2j turned by the next pair\'s angle', halves, 'rotate_q(t, d0, d0 + half, a0);', 'rotate_q(t, d0, d0 + half, a1);'],
    ['partial rotary: the tail turned too', where((c) => (c.nRot ?? c.hd) < c.hd), 'let rot = d0 < params.n_rot;', 'let rot = d0 < params.hd;'],
    ['attn factor ignored', where((c) => c.mscale !== undefined), ') * params.mscale;', ');'],
    ['values taken from the keys', fixed, 'let vw = vec2<f32>(x[vb + d0], x[vb + d0 + 1u]);', 'let vw = vec2<f32>(x[kb + d0], x[kb + d0 + 1u]);'],
    ['kv heads strided as q heads', where((c) => c.heads !== c.kvHeads), 'let kb = params.k_at + (t * params.kv_heads + kh)', 'let kb = params.k_at + (t * params.heads + kh)'],
    ['page-table row ignored', where((c) => c.seqs.length > 1), 'page_table[seq_row[t] * params.max_pages', 'page_table[seq_row[0u] * params.max_pages'],
    ['page index rounded up', fixed, 'p / params.page_size]', '(p + 1u) / params.page_size]'],
    ['last workgroup dropped', fixed, 'if (e >= params.m * words)', 'if (e + WG >= params.m * words)'],
    ['q/k norm: k normalized by q_norm', normed, 'let kn = params.norm_at + params.hd;', 'let kn = params.norm_at;'],
    ['q/k norm: a k head scaled by a q head\'s factor', normed, 'let kf = inv_rms[params.heads + kh];', 'let kf = inv_rms[kh];'],
    ['q/k norm: k heads summed at q heads\' stride', normed.filter((c) => c.heads !== c.kvHeads), 'b = params.k_at + (t * params.kv_heads + h - params.heads) * params.hd;', 'b = params.k_at + (t * params.heads + h - params.heads) * params.hd;'],
    ['q/k norm: q_norm read from element 0', normed, 'let x0 = el(b, o0, inv_rms[h], params.norm_at);', 'let x0 = el(b, o0, inv_rms[h], 0u);'],
    ['q/k norm: the tail past n_rot left unnormalized', normed.filter((c) => (c.nRot ?? c.hd) < c.hd), 'rotate_q(t, d0, d0 + 1u, vec2<f32>(0.0, 1.0));', ''],
    ['q/k norm: the mean taken over half the head', normed, 'inverseSqrt(ss / f32(params.hd) + params.eps)', 'inverseSqrt(ss / f32(params.hd / 2u) + params.eps)'],
    ['f32: a value pair\'s second written over its first', where((c) => !!c.f32), 'v_cache[2u * dst + 1u] = bitcast<u32>(vw.y);', 'v_cache[2u * dst] = bitcast<u32>(vw.y);'],
  ],
});
