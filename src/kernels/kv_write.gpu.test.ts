import { kernelSuite } from './suite.ts';
import KV_WRITE_WGSL from '../../shaders/kv_write.wgsl?raw';
import { checkKvWrite, kvWriteCases } from './kv_write.check.ts';

const few = kvWriteCases(5, 2);
const f32 = few.filter((c) => c.f32);
kernelSuite('kv_write', {
  code: KV_WRITE_WGSL,
  cases: kvWriteCases(5),
  seed: 5,
  check: checkKvWrite,
  mutations: [
    ['page-table row ignored', few, 'page_table[seq_row[t] * params.max_pages', 'page_table[seq_row[0u] * params.max_pages'],
    ['slot from the wrong page size', few, 'p % params.page_size', 'p % 16u'],
    ['page index rounded up', few, 'p / params.page_size]', '(p + 1u) / params.page_size]'],
    ['values taken from the next token', few, 'v_cache[dst] = pack2x16float(v[i]);', 'v_cache[dst] = pack2x16float(v[min(i + half, params.m * half - 1u)]);'],
    ['last workgroup dropped', few, 'if (i >= params.m * half)', 'if (i + WG >= params.m * half)'],
    ['pairs swapped within a word', few, 'k_cache[dst] = pack2x16float(k[i]);', 'k_cache[dst] = pack2x16float(k[i].yx);'],
    ['f32: the pair\'s second value written over its first', f32, 'v_cache[2u * dst + 1u] = bitcast<u32>(v[i].y);', 'v_cache[2u * dst] = bitcast<u32>(v[i].y);'],
  ],
});
