import { kernelSuite } from './suite.ts';
import SPLIT_WGSL from '../../shaders/attention_split.wgsl?raw';
import MERGE_WGSL from '../../shaders/attention_merge.wgsl?raw';
import { SPLIT_CODE_MARK, attentionSplitCases, checkAttentionSplit, splitCaseRun } from './attention_split.check.ts';
import { Q8_BLOCK_WGSL } from './quantize_q8.ts';

const cases = attentionSplitCases(5);
const decode = cases.slice(0, 6);
const f32 = cases.filter((c) => c.kvF32);
const windowed = cases.filter((c) => c.window);
const capped = cases.filter((c) => c.softcap);
const quantized = cases.filter((c) => splitCaseRun(c).quant).slice(0, 3);
const pairs = cases.filter((c) => splitCaseRun(c).mergePairs > 1);
const pairsQuantized = pairs.filter((c) => splitCaseRun(c).quant);
kernelSuite('attention_split', {
  code: SPLIT_WGSL + SPLIT_CODE_MARK + Q8_BLOCK_WGSL + MERGE_WGSL,
  cases,
  seed: 5,
  check: checkAttentionSplit,
  mutations: [
    ['f32 pool: keys read as f16', f32, 'return vec4<f32>(bitcast<vec2<f32>>(k_cache[2u * i]), bitcast<vec2<f32>>(k_cache[2u * i + 1u]));', 'return vec4<f32>(unpack2x16float(k_cache[i].x), unpack2x16float(k_cache[i].y));'],
    ['f16 pool: the halves of a value word swapped', decode, 'let w = v_cache[i];', 'let w = v_cache[i].yx;'],
    ['GQA heads interleaved instead of grouped', decode, 'let row = (page * params.page_size + j % params.page_size) * width4 + g * hd4;', 'let row = (page * params.page_size + j % params.page_size) * width4 + (g * group) % params.n_kv_head * hd4;'],
    ['queries staged from another head\'s rows', decode, 'let qbase = (t * params.n_head + g * group) * hd4;', 'let qbase = (t * params.n_head + g) * hd4;'],
    ['the last key of a split dropped', decode, 'let cnt = min(C, n_keys - j0);', 'let cnt = min(C - 1u, n_keys - j0);'],
    ['weights not taken from the max', decode, 'let p = exp(sc[lid * C + i] - mx);', 'let p = exp(sc[lid * C + i]);'],
    ['one key group left out of the sum', decode, 'for (var k = 1u; k < kgs; k++) {', 'for (var k = 2u; k < kgs; k++) {'],
    ['window ignored', windowed, 'let first = select(0u, n_keys - params.window, params.window > 0u && n_keys > params.window);', 'let first = 0u;'],
    ['scores not capped', capped, 'sv = params.softcap * tanh(clamp(sv / params.softcap, -15.0, 15.0));', 'sv = sv;'],
    ['merge: splits not rescaled to the common max', decode, 'o += exp(part_ml[(base + s) * 2u] - big) * part_o[(base + s) * params.hd + d];', 'o += part_o[(base + s) * params.hd + d];'],
    ['a later token group reads the first group\'s queries', cases, 'let t = params.t0 + tl;', 'let t = tl;'],
    ['merge: a later token group writes over the first', cases, 'let idx = params.t0 * params.n_head + il; // (token, head) in q and out', 'let idx = il;'],
    ['merge: a head\'s second block quantized from its first', quantized, 'let p = out0 + 32u * blk;', 'let p = out0 + params.hd * (blk / blocks);'],
    ['merge: a workgroup merges only its first pair', pairs, 'for (var il = first; il < last; il++) {', 'for (var il = first; il < first + 1u; il++) {'],
    ['merge: only a workgroup\'s first pair quantized', pairsQuantized, 'blk < (last - first) * blocks;', 'blk < blocks;'],
    ['merge: quantized before every invocation has written', quantized, 'storageBarrier(); // a block', '// a block'],
    ['merge: reads one split more than the token has', decode, 'let used = (visible + C - 1u) / C;', 'let used = (visible + C - 1u) / C + 1u;'],
  ],
});
