import { kernelSuite } from './suite.ts';
import PICK_WGSL from '../../shaders/pick.wgsl?raw';
import { checkPick, pickCases } from './pick.check.ts';

const cases = pickCases();
const sampled = cases.filter((c) => c.greedy < 1 && c.k > 1);
const truncated = cases.filter((c) => c.truncate > 0);
const greedy = cases.filter((c) => c.greedy > 0);
const empty = cases.filter((c) => c.empty > 0);
const batch = cases.filter((c) => c.srcRows > 1 && c.m > 1);
const drawn = cases.filter((c) => (c.drawn ?? 0) > 0);
kernelSuite('pick', {
  code: PICK_WGSL,
  cases,
  seed: 23,
  check: checkPick,
  mutations: [
    ['greedy takes the second entry', greedy, 'ids[params.ids_at + t] = topk[at + K];', 'ids[params.ids_at + t] = topk[at + K + 1u];'],
    ['the temperature ignored', sampled, '* r.inv_temp);', ');'],
    ['min_p ignored', truncated, 'if (e[j] < r.min_p) {', 'if (e[j] < 0.0) {'],
    ['top_p ignored', truncated, 'if (r.top_p < 1.0 && kept >= nucleus) {', 'if (false) {'],
    ['the draw in logit order, not id order', sampled, 'let j = ordered[s];', 'let j = s;'],
    ['u ignored', sampled, 'let u_mass = r.u * zm;', 'let u_mass = 0.5 * zm;'],
    ['every row picks from row 0', batch, 'let at = r.src * (4u + 2u * K) + 4u;', 'let at = 4u;'],
    ['the drawn id ignored', drawn, 'if (r.n == 0u) {', 'if (false) {'],
    ['empty slots taken as candidates', empty, 'if (topk[at + K + j] == EMPTY_ID) {', 'if (false) {'],
  ],
});
