import { kernelSuite } from './suite.ts';
import ADD_WGSL from '../../shaders/add.wgsl?raw';
import { addCases, checkAdd, type AddCase } from './add.check.ts';

const small = addCases(9, 2).filter((c) => c.count < 1e6);
const spill = addCases(9, 0).filter((c) => c.count > 1e6);
kernelSuite('add', {
  code: ADD_WGSL,
  cases: addCases(9),
  seed: 9,
  check: checkAdd,
  mutations: [
    ['b not repeated', small, 'b[i % params.period]', 'b[i]'],
    ['b indexed by row instead of column', small, 'b[i % params.period]', 'b[i / params.period]'],
    ['y overwritten instead of added to', small, 'y[i] += b[i % params.period];', 'y[i] = b[i % params.period];'],
    ['last elements skipped', small, 'if (i >= params.count) {', 'if (i + 1u >= params.count) {'],
    ['spilled workgroups recompute the wrong index', spill, 'let i = (wg.x + wg.y * nwg.x) * WG + lid;', 'let i = wg.x * WG + lid;'],
  ],
});
