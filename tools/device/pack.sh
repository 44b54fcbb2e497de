#!/usr/bin/env bash
# Packs what the GPU machine needs into .device/cuda/ (git-ignored; other packers in this
# tree use other folders of .device/), after building the addon for sm_90 (the H200). One
# line, from the repository root:
#
#   bash tools/device/pack.sh
#
# then run it there with the device tool (what it runs: tools/device/run.sh):
#   run(command="bash tools/device/run.sh all", carry=[".device/cuda"], timeout_s=600)
# modes: lab (the kernel lab: every check, then the benchmark table), smoke (seconds: tools/device/smoke.cjs), smoke-test (smoke + the addon GPU tests),
# test (GPU vitest suites of kernels-cuda, core and nn, and core's matmul on our tiled kernel), bench
# (packages/kernels-cuda/bench/scan_bench.cjs), all (lab, smoke, test, bench), train (alone:
# `sscan train --preset paper --device cuda` under a time limit, see run.sh).
#
# .device/cuda holds: node.xz (this machine's node: the device has none), sscan_cuda.node.xz,
# node_modules.tar.xz (vitest and what it needs, from node_modules/.pnpm, and the workspace
# links) and dist.tar.xz (the git-ignored builds of core, autograd, nn and cli, for `sscan
# train`). All that travels, the working tree included, must stay under 64 MiB: the script
# measures it.
#
#   bash tools/device/pack.sh lab
# packs only the kernel lab (minutes, not the addon's quarter hour): enough for run.sh's lab and
# profile modes, carried the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=.device/cuda
mkdir -p "$D"
if [[ "${1:-}" == lab ]]; then
  make -s -C packages/kernels-cuda/dev
  xz -T0 -6 -c .device/lab/scan_lab >"$D/scan_lab.xz"
  ls -l "$D/scan_lab.xz"
  exit 0
fi

SSCAN_CUDA_ARCHS=90 SSCAN_REQUIRE_CUDA=1 node packages/kernels-cuda/scripts/build.cjs
mkdir -p "$D"

# Recompressing node takes minutes on a busy machine: only when this machine's node changed.
version="$(node --version)"
if [[ ! -s "$D/node.xz" || "$(cat "$D/node.version" 2>/dev/null)" != "$version" ]]; then
  xz -T0 -6 -c "$(command -v node)" >"$D/node.xz.tmp" && mv "$D/node.xz.tmp" "$D/node.xz"
  echo "$version" >"$D/node.version"
fi
xz -T0 -6 -c packages/kernels-cuda/build/Release/sscan_cuda.node >"$D/sscan_cuda.node.xz"
# The kernel lab (checks against the float64 twin, the >2^31-element case, the benchmark table
# against the reference kernel): built from the same csrc/ objects as the addon.
if [[ "${SSCAN_LAB_ON_DEVICE:-0}" == 1 ]]; then
  rm -f "$D/scan_lab.xz"  # run.sh builds it there (slow: see run.sh, lab_bin)
else
  make -s -C packages/kernels-cuda/dev
  xz -T0 -6 -c .device/lab/scan_lab >"$D/scan_lab.xz"
fi

# The TS builds `node packages/cli/dist/bin.js` needs (tests run from the sources instead).
pnpm --filter @sscan/core --filter @sscan/autograd --filter @sscan/nn --filter @sscan/cli run build
tar -cf - packages/core/dist packages/autograd/dist packages/nn/dist packages/cli/dist | xz -T0 -6 >"$D/dist.tar.xz"

# Type packages are not needed to run tests, nor lightningcss's 10 MB native binary (vite loads
# it only for CSS; checked: vitest runs without it).
node tools/device/closure.mjs vitest | grep -v -e '^node_modules/.pnpm/@types+' -e '^node_modules/.pnpm/lightningcss-' | tar -cf - -T - | xz -T0 -6 >"$D/node_modules.tar.xz.tmp"
mv "$D/node_modules.tar.xz.tmp" "$D/node_modules.tar.xz"

tree_bytes=$(git ls-files -z -co --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
device_bytes=$(du -cb "$D" | tail -1 | cut -f1)
total=$((tree_bytes + device_bytes))
ls -l "$D"
awk -v t="$tree_bytes" -v d="$device_bytes" 'BEGIN { printf "working tree %.1f MiB + %s %.1f MiB = %.1f MiB (limit 64 MiB)\n", t/1048576, "'"$D"'", d/1048576, (t+d)/1048576 }'
if ((total > 64 * 1024 * 1024)); then
  echo "pack.sh: over the 64 MiB the device tool carries" >&2
  exit 1
fi
