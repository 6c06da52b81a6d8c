import { kernelSuite } from './suite.ts';
import STREAM_READ_WGSL from '../../shaders/stream_read.wgsl?raw';
import { checkStreamRead, streamReadCases } from './stream_read.check.ts';

const cases = streamReadCases(23);
kernelSuite('stream_read', {
  code: STREAM_READ_WGSL,
  cases,
  seed: 23,
  check: checkStreamRead,
  mutations: [
    ['one component skipped', cases, 'acc.x + acc.y + acc.z + acc.w', 'acc.x + acc.y + acc.z'],
    ['the last ragged sweep dropped', cases.slice(1, 2), 'i < params.words', 'i + params.grid <= params.words'],
    ['sweeps stride by a workgroup instead of the grid', cases, 'i += params.grid', 'i += WG'],
  ],
});
