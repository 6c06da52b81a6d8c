#!/usr/bin/env bash
# The GPU-machine run of issue 10, as one prepared command (README, "On a GPU machine"). On a lent machine,
# which starts bare, from the repository root with .device/ carried (`npm run device-kit` wrote it):
#   1. Vulkan: Debian's loader from .device/debs where the image has none, and the NVIDIA driver's ICD;
#   2. unpacks .device/kit.tar.xz (Node, the CLI bundle, its packages, llama.cpp's Vulkan build) into $KIT;
#   3. `tabserve check`: every kernel against its CPU twin on this GPU (the figures mean little if one fails);
#   4. `tabserve bench $BENCH_ARGS`: ours against llama.cpp's Vulkan build on the same GGUF and GPU.
# What comes back is under $OUT (the device tool's folder): log, check.txt and BENCHMARKS.md, the report to
# append to this repository's BENCHMARKS.md as it is. Exit code: 0 when both steps passed.
# Without a GPU (a rehearsal here): set VK_ICD_FILENAMES first (eval "$(node scripts/gpu-env.mjs)") and the
# script leaves Vulkan alone.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$here/.device/out}
KIT=${KIT:-/tmp/tabserve-kit}
BENCH_ARGS=${BENCH_ARGS:---shape all --type q8_0,q4_0,q4_k_m --prompt-tokens 512 --max-tokens 128 --streams 1,4,16 --profile}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log") 2>&1
step() { echo "== $(date -u +%T) $*"; }

if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
    step "installing Debian's Vulkan loader"
    for f in "$here"/.device/debs/*.deb; do dpkg -x "$f" / || exit 1; done
    ldconfig
  fi
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
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
cd "$KIT/app" || exit 1

step 'tabserve check'
timeout 120 "$KIT/node" bin/tabserve.js check > "$OUT/check.txt" 2>&1
check=$?
cat "$OUT/check.txt"
echo "check: exit $check"

step "tabserve bench $BENCH_ARGS"
# shellcheck disable=SC2086 # the arguments split on spaces
timeout 420 "$KIT/node" bin/tabserve.js bench $BENCH_ARGS --record "$OUT/BENCHMARKS.md"
bench=$?
echo "bench: exit $bench"
step done
[ "$check" = 0 ] && [ "$bench" = 0 ]
