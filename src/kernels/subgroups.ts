/**
 * Shader modules with or without subgroup sums (shaders/subgroup_sum.wgsl): `enable subgroups;` must open
 * a module, and a device without the feature refuses one that names it, so a wrapper builds its module one
 * way or the other. The lanes come from gpu/subgroups.ts's probe (GpuInfo.subgroupLanes).
 */
import SUBGROUP_SUM_WGSL from '../../shaders/subgroup_sum.wgsl?raw';

/** What a module calls in place of subgroup_sum.wgsl's functions where there are no subgroups (never reached). */
const STAND_IN_WGSL = `
fn lanes_sum(v: f32, n: u32) -> f32 {
  return v;
}
`;

/** `code` with the subgroup sums when `lanes` > 0 (the feature enabled first), else with their stand-ins. */
export function withSubgroupSums(code: string, lanes = 0): string {
  return lanes > 0 ? `enable subgroups;\n${code}\n${SUBGROUP_SUM_WGSL}` : code + STAND_IN_WGSL;
}

/** The SG_LANES constant of a reduction over `tpr` lanes a row: min(tpr, lanes), 0 with one lane or none. */
export function sgLanes(tpr: number, lanes = 0): number {
  return tpr > 1 && lanes > 0 ? Math.min(tpr, lanes) : 0;
}
