#!/usr/bin/env bash
# Runs on the GPU machine (H200, Ubuntu 24.04, no node, no network), from the repository
# root, with .device/cuda carried (made by tools/device/pack.sh, which says how to call this).
#
#   bash tools/device/run.sh [lab|smoke|smoke-test|test|bench|all]
#
# Logs go to $OUT (what comes back): smoke.log, test-kernels-cuda.log, test-core.log,
# bench.log, bench.json, nvidia-smi.txt, lab.log. The steps' time limits (150 + 30 + 60 + 210 + 120 s) add up
# to less than the device tool's 600 s per command, so `all` fits one call; each log is
# written as it goes, so a step cut short still tells how far it got.
set -uo pipefail
mode="${1:-all}"
OUT="${OUT:-/tmp/sscan-out}"
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
D=.device/cuda

unxz_to() { # unxz_to FILE.xz DEST: xz if present, else python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}

mkdir -p /tmp/sscan-node
unxz_to "$D/node.xz" /tmp/sscan-node/node && chmod +x /tmp/sscan-node/node
export PATH="/tmp/sscan-node:$PATH"
mkdir -p packages/kernels-cuda/build/Release
unxz_to "$D/sscan_cuda.node.xz" packages/kernels-cuda/build/Release/sscan_cuda.node
nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
echo "node $(node --version) on $(uname -m); $(head -12 "$OUT/nvidia-smi.txt" | grep -m1 -o 'Driver Version: [0-9.]*')"

status=0
if [[ "$mode" == lab || "$mode" == all ]]; then
  unxz_to "$D/scan_lab.xz" /tmp/scan_lab && chmod +x /tmp/scan_lab
  timeout 150 /tmp/scan_lab all 2>&1 | tee "$OUT/lab.log" || status=1
fi
if [[ "$mode" == smoke || "$mode" == smoke-test || "$mode" == all ]]; then
  timeout 30 node tools/device/smoke.cjs 2>&1 | tee "$OUT/smoke.log" || status=1
fi
if [[ "$mode" == test || "$mode" == all || "$mode" == smoke-test ]]; then
  unxz_to "$D/node_modules.tar.xz" /tmp/sscan-nm.tar && tar -xf /tmp/sscan-nm.tar && rm /tmp/sscan-nm.tar
  vitest="$PWD/node_modules/vitest/vitest.mjs"
  (cd packages/kernels-cuda && timeout 60 node "$vitest" run --config vitest.gpu.config.ts) 2>&1 | tee "$OUT/test-kernels-cuda.log" || status=1
  if [[ "$mode" != smoke-test ]]; then
    (cd packages/core && timeout 210 node "$vitest" run --config vitest.gpu.config.ts) 2>&1 | tee "$OUT/test-core.log" || status=1
  fi
fi
if [[ "$mode" == bench || "$mode" == all ]]; then
  timeout 120 node packages/kernels-cuda/bench/scan_bench.cjs --json "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log" || status=1
fi
exit "$status"
