#!/usr/bin/env bash
# The GPU-machine run of issue 10, as one prepared command (README, "On a GPU machine"). On a lent machine,
# which starts bare, from the repository root with .device/ carried (`npm run device-kit` wrote it):
#   1. Vulkan: Debian's loader from .device/debs where the image has none, and the NVIDIA driver's ICD;
#   2. unpacks .device/kit.tar.xz (Node, the CLI bundle, its packages, llama.cpp's Vulkan build) into $KIT;
#   3. `tabserve check`: every kernel against its CPU twin on this GPU (the figures mean little if one fails);
#   4. `tabserve bench` once per set of $BENCH_SETS (';' between sets), most important first, each report
#      recorded as soon as it is done, within $BUDGET seconds in all (the device tool stops a call at 600).
# What comes back is under $OUT (the device tool's folder): log, check.txt and BENCHMARKS.md, the reports to
# append to this repository's BENCHMARKS.md as they are. Exit code: 0 when every step passed.
# Without a GPU (a rehearsal here): set VK_ICD_FILENAMES first (eval "$(node scripts/gpu-env.mjs)") and the
# script leaves Vulkan alone.
set -uo pipefail
start=$SECONDS
here=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$here/.device/out}
KIT=${KIT:-/tmp/tabserve-kit}
BUDGET=${BUDGET:-540}
RUN=${RUN:-'--prompt-tokens 512 --max-tokens 128 --streams 1,4,16 --profile'} # the main sets' run (a rehearsal: fewer tokens)
# against llama.cpp's Vulkan build: the 1B and 0.5B shapes (the targets), qwen3-0.6b, the 1B sampled at OpenAI's
# default temperature (the GPU's draw from the whole row, which most requests take) and the chat app's (a nucleus),
# then the decode matmuls' layout
# on this GPU (lanes per row; the default is a row's 32-element blocks, up to 64; rows per invocation), then the
# prefill matmuls' (rows per invocation), then smollm2
BENCH_SETS=${BENCH_SETS:-"--shape llama3.2-1b --type q4_k_m,q8_0,q4_0 $RUN; --shape qwen2.5-0.5b --type q8_0,q4_0 $RUN; --shape qwen3-0.6b --type q4_k_m,q8_0 $RUN; --shape llama3.2-1b --type q4_k_m --prompt-tokens 64 --max-tokens 128 --temperature 1 --profile; --shape llama3.2-1b --type q4_k_m --prompt-tokens 64 --max-tokens 128 --temperature 0.7 --top-p 0.95 --profile; --shape llama3.2-1b --type q4_k_m,q8_0 --prompt-tokens 64 --max-tokens 64 --peer none --lanes 8,16,32 --decode-rows 2,4 --profile; --shape llama3.2-1b --type q4_k_m,q8_0 --prompt-tokens 512 --max-tokens 16 --peer none --prefill-rows 2,4 --profile; --shape smollm2-135m --type q8_0,q4_0 $RUN"}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log") 2>&1
step() { echo "== $(date -u +%T) +$((SECONDS - start))s $*"; }

if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
    step "installing Debian's Vulkan loader"
    for f in "$here"/.device/debs/*.deb; do dpkg -x "$f" / || exit 1; done
    ldconfig
  fi
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    "$(find /usr /etc /opt -name 'nvidia_icd*.json' 2>/dev/null | head -1)"; do
    if [ -f "$icd" ]; then export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd; break; fi
  done
fi
export TABSERVE_SYSTEM_VULKAN=1 XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-tabserve}
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-none}"
nvidia-smi -L 2>/dev/null || echo 'nvidia-smi: none'
nproc

step "unpacking the kit into $KIT"
[ -f "$here/.device/kit.tar.xz" ] || { echo 'no .device/kit.tar.xz: run npm run device-kit first, and take .device along'; exit 1; }
rm -rf "$KIT" && mkdir -p "$KIT" || exit 1
if command -v xz > /dev/null; then tar -xJf "$here/.device/kit.tar.xz" -C "$KIT" || exit 1
else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$here/.device/kit.tar.xz" "$KIT" || exit 1; fi
cat "$KIT/KIT"
head=$(git -C "$here" rev-parse HEAD 2>/dev/null) && ! grep -q "commit $head" "$KIT/KIT" && [ -z "$(git -C "$here" status --porcelain -uno 2>/dev/null)" ] &&
  echo "warning: the kit was built from another commit than $head: run npm run device-kit again"
cd "$KIT/app" || exit 1

step 'tabserve check'
timeout 90 "$KIT/node" bin/tabserve.js check > "$OUT/check.txt" 2>&1
failed=$?
cat "$OUT/check.txt"
echo "check: exit $failed"

IFS=';' read -ra sets <<< "$BENCH_SETS"
for set in "${sets[@]}"; do
  left=$((BUDGET - (SECONDS - start)))
  if [ "$left" -lt 30 ]; then echo "skipped, $left s left: bench $set"; failed=1; continue; fi
  step "tabserve bench $set ($left s left)"
  # shellcheck disable=SC2086 # a set's arguments split on spaces
  timeout "$left" "$KIT/node" bin/tabserve.js bench $set --record "$OUT/BENCHMARKS.md"
  rc=$?
  echo "bench: exit $rc"
  [ "$rc" = 0 ] || failed=1
done
step done
[ "$failed" = 0 ]
