import { kernelSuite } from './suite.ts';
import ATTENTION_WGSL from '../../shaders/attention.wgsl?raw';
import { attentionCases, checkAttention } from './attention.check.ts';

const few = attentionCases(3, 0);
const capped = few.filter((c) => c.softcap);
const windowed = few.filter((c) => c.window);
const f32 = few.filter((c) => c.kvF32);
kernelSuite('attention', {
  code: ATTENTION_WGSL,
  cases: attentionCases(3),
  seed: 3,
  check: checkAttention,
  mutations: [
    ['f16 pool: odd elements read from the low half', few, 'return unpack2x16float(k_cache[i >> 1u])[i & 1u];', 'return unpack2x16float(k_cache[i >> 1u])[0u];'],
    ['f32 pool: values read as f16', f32, 'return bitcast<f32>(v_cache[i]);', 'return unpack2x16float(v_cache[i >> 1u])[i & 1u];'],
    ['output not rescaled when the max grows', few, 'var a = acc[d] * corr;', 'var a = acc[d];'],
    ['causal mask lets in the next key', few, 'let n_keys = pos[t] + 1u;', 'let n_keys = pos[t] + 2u;'],
    ['GQA heads interleaved instead of grouped', few, 'let g = h / (params.n_head / params.n_kv_head);', 'let g = h % params.n_kv_head;'],
    ['every token reads the first token\'s page table', few, 'let table = seq_row[t] * params.max_pages;', 'let table = seq_row[0u] * params.max_pages;'],
    ['scores not capped', capped, 's = params.softcap * tanh(clamp(dot / params.softcap, -15.0, 15.0));', 's = dot;'],
    ['window one key too wide', windowed, 'n_keys - params.window, params.window', 'n_keys - params.window - 1u, params.window'],
    ['window ignored', windowed, 'for (var j0 = first; j0 < n_keys; j0 += WG) {', 'for (var j0 = 0u; j0 < n_keys; j0 += WG) {'],
    ['softmax without max subtraction', few, 'let new_max = max(run_max, red_max[0]);', 'let new_max = 0.0;'],
  ],
});
