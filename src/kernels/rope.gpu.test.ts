import { kernelSuite } from './suite.ts';
import { checkRope, ropeCases, type RopeCase } from './rope.check.ts';
import { ROPE_CODE, ropeTurnTable } from './rope.ts';
import { expect, test } from 'vitest';

const fixed = ropeCases(7, 0).filter((c) => c.m < 1000); // the spill case is slow on a CPU driver
const where = (f: (c: RopeCase) => boolean) => fixed.filter(f);
kernelSuite('rope', {
  code: ROPE_CODE,
  cases: ropeCases(7),
  seed: 7,
  check: checkRope,
  mutations: [
    ['sin with the wrong sign', fixed, 'x0 * c - x1 * s', 'x0 * c + x1 * s'],
    ['halves paired like adjacent', where((c) => c.style === 'halves'), 'let o1 = select(2u * i + 1u, i + half, STYLE == 1u);', 'let o1 = select(2u * i + 1u, 2u * i + 1u, STYLE == 1u);'],
    // off by < pos * 1.5e-9 rad: only a tight tolerance sees it (2e-4 rad at 128k, ~3e-6 at 4k)
    ['low word of the frequency dropped', fixed, 'p * g.x + mulhi(p, g.y)', 'p * g.x'],
    ['factor exponent off by one', where((c) => c.factors), '150 - i32(', '149 - i32('],
    ['halves paired across the whole head when partial', where((c) => c.style === 'halves' && (c.nRot ?? c.hd) < c.hd), 'let half = params.n_rot / 2u;', 'let half = params.hd / 2u;'],
    ['attn factor ignored', where((c) => c.mscale !== undefined), 'let s = sc.x * params.mscale;', 'let s = sc.x;'],
    ['quarter turns mapped wrongly', fixed, 'case 1u: { return vec2<f32>(c, -s); }', 'case 1u: { return vec2<f32>(-c, s); }'],
  ],
});

test('the turn table holds freq / 2pi to ~2^-53', () => {
  const t = ropeTurnTable(8, 10000);
  for (let i = 0; i < 4; i++) {
    const turns = (t[2 * i] + t[2 * i + 1] / 2 ** 32) / 2 ** 32;
    expect(Math.abs(turns - 10000 ** (-i / 4) / (2 * Math.PI))).toBeLessThan(2 ** -53);
  }
});
