// Sums across the lanes of a subgroup, for reductions that would otherwise take a barrier per halving
// (matmul_out.wgsl's reduce_store). Not a kernel: appended by a wrapper whose device has the `subgroups`
// feature with subgroups of consecutive invocations (probed: src/gpu/subgroups.ts), `enable subgroups;` put
// first (kernels/subgroups.ts). Without the feature the wrapper appends a stand-in that SG_LANES = 0 never calls.

// v summed over the aligned group of n lanes holding this invocation (n a power of two, at most the
// subgroup's lanes): the halvings of a tree, each a shuffle between lanes i and i ^ mask, so every lane of
// the group gets the group's sum, added in the same order whatever the subgroup's size.
fn lanes_sum(v: f32, n: u32) -> f32 {
  var s = v;
  for (var mask = n / 2u; mask > 0u; mask /= 2u) {
    s += subgroupShuffleXor(s, mask);
  }
  return s;
}
