import { kernelSuite } from './suite.ts';
import ATTENTION_WGSL from '../../shaders/attention.wgsl?raw';
import { attentionCases, checkAttention } from './attention.check.ts';

const few = attentionCases(3, 0);
kernelSuite('attention', {
  code: ATTENTION_WGSL,
  cases: attentionCases(3),
  seed: 3,
  check: checkAttention,
  mutations: [
    ['output not rescaled when the max grows', few, 'var a = acc[d] * corr;', 'var a = acc[d];'],
    ['causal mask lets in the next key', few, 'let n_keys = pos[t] + 1u;', 'let n_keys = pos[t] + 2u;'],
    ['GQA heads interleaved instead of grouped', few, 'let g = h / (params.n_head / params.n_kv_head);', 'let g = h % params.n_kv_head;'],
    ['every token reads the first token\'s page table', few, 'let table = seq_row[t] * params.max_pages;', 'let table = seq_row[0u] * params.max_pages;'],
    ['softmax without max subtraction', few, 'let new_max = max(run_max, red_max[0]);', 'let new_max = 0.0;'],
  ],
});
