#!/usr/bin/env bash
# Runs on the GPU machine (H200, Ubuntu 24.04, no node, no network), from the repository
# root, with .device/cuda carried (made by tools/device/pack.sh, which says how to call this).
#
#   bash tools/device/run.sh [lab|profile|smoke|smoke-test|test|bench|all|train]
#
# Logs go to $OUT (what comes back): smoke.log, test-kernels-cuda.log, test-core.log,
# test-nn.log, test-matmul-tiled.log, bench.log, bench.json, nvidia-smi.txt, lab.log,
# train.log. The steps' time limits (lab 130 + smoke 20 + tests 40 + 200 + 60 + 25 + bench 100
# = 575 s) add up to less than the device tool's 600 s per command, so `all` fits one call;
# each log is written as it goes, so a step cut short still tells how far it got.
#
# profile (never part of all): ncu on the forward and backward kernels at the first benchmark
# shape (ncu-fwd.txt, ncu-bwd.txt).
#
# train (never part of all): `sscan train --task selective-copying --device cuda --preset
# paper` (seqlen 4096, 16 data tokens, 2 layers, d_model 64) for $SSCAN_TRAIN_SECONDS (default
# 540) seconds, extra flags from $SSCAN_TRAIN_ARGS; progress and held-out evaluations go to
# train.log as they happen.
set -uo pipefail
mode="${1:-all}"
OUT="${OUT:-/tmp/sscan-out}"
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
D=.device/cuda

unxz_to() { # unxz_to FILE.xz DEST: xz if present, else python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}

nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
# node and the addon: every mode but the lab's (pack.sh lab packs only the lab)
if [[ "$mode" != lab && "$mode" != profile ]]; then
  mkdir -p /tmp/sscan-node
  unxz_to "$D/node.xz" /tmp/sscan-node/node && chmod +x /tmp/sscan-node/node
  export PATH="/tmp/sscan-node:$PATH"
  mkdir -p packages/kernels-cuda/build/Release
  unxz_to "$D/sscan_cuda.node.xz" packages/kernels-cuda/build/Release/sscan_cuda.node
  echo "node $(node --version) on $(uname -m); $(head -12 "$OUT/nvidia-smi.txt" | grep -m1 -o 'Driver Version: [0-9.]*')"
fi

status=0
# The kernel lab: packed by pack.sh, or (SSCAN_LAB_ON_DEVICE=1 bash tools/device/pack.sh) built
# here from the carried sources. Avoid the latter: on 2026-11-30 that build did not finish in
# 540 s of device time (ptxas on the backward is one long single-threaded job).
lab_bin() {
  rm -f /tmp/scan_lab
  if [[ -x .device/lab/scan_lab ]]; then  # carried as is: run(..., carry=[".device/lab"])
    cp .device/lab/scan_lab /tmp/scan_lab
  elif [[ -s "$D/scan_lab.xz" ]]; then
    unxz_to "$D/scan_lab.xz" /tmp/scan_lab && chmod +x /tmp/scan_lab
  else
    make -s -j16 -C packages/kernels-cuda/dev NVCC="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" >"$OUT/lab-build.log" 2>&1 && cp .device/lab/scan_lab /tmp/scan_lab
  fi
}
if [[ "$mode" == lab || "$mode" == all ]]; then
  lab_bin
  timeout 130 /tmp/scan_lab all 2>&1 | tee "$OUT/lab.log" || status=1
fi
if [[ "$mode" == profile ]]; then
  # Nsight Compute on the forward and backward main kernels (general or real-A, whichever the
  # shape takes) at benchmark shape $SCAN_LAB_SHAPE (default 0), f32. The lab has no -lineinfo
  # (to stay small), so the summary is per kernel: instruction counts, IPC, stall reasons.
  lab_bin
  for k in fwd bwd; do
    SCAN_LAB_SHAPE="${SCAN_LAB_SHAPE:-0}" timeout 120 ncu --clock-control none -k "regex:selective_scan_${k}_(real_)?kernel" -c 1 \
      --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
      --section SchedulerStats --section InstructionStats --section ComputeWorkloadAnalysis \
      --section MemoryWorkloadAnalysis /tmp/scan_lab bench 3 >"$OUT/ncu-$k.txt" 2>&1 || status=1
    grep -E "^  [a-z]|Duration|Registers Per|Issued Ipc|Executed Instructions  |Warp Cycles Per Issued|stalled|highest-utilized|fused|Spilling Requests  |Achieved Active" "$OUT/ncu-$k.txt" | head -30
  done
fi
if [[ "$mode" == smoke || "$mode" == smoke-test || "$mode" == all ]]; then
  timeout 20 node tools/device/smoke.cjs 2>&1 | tee "$OUT/smoke.log" || status=1
fi
if [[ "$mode" == test || "$mode" == all || "$mode" == smoke-test || "$mode" == train ]]; then
  unxz_to "$D/node_modules.tar.xz" /tmp/sscan-nm.tar && tar -xf /tmp/sscan-nm.tar && rm /tmp/sscan-nm.tar
fi
if [[ "$mode" == test || "$mode" == all || "$mode" == smoke-test ]]; then
  vitest="$PWD/node_modules/vitest/vitest.mjs"
  (cd packages/kernels-cuda && timeout 40 node "$vitest" run --config vitest.gpu.config.ts) 2>&1 | tee "$OUT/test-kernels-cuda.log" || status=1
  if [[ "$mode" != smoke-test ]]; then
    (cd packages/core && timeout 200 node "$vitest" run --config vitest.gpu.config.ts) 2>&1 | tee "$OUT/test-core.log" || status=1
    (cd packages/nn && timeout 60 node "$vitest" run --config vitest.gpu.config.ts) 2>&1 | tee "$OUT/test-nn.log" || status=1
    # matmul once more on our own tiled kernel, as on a machine without cuBLAS
    (cd packages/core && SSCAN_CUBLAS_LIBRARY=none timeout 25 node "$vitest" run --config vitest.gpu.config.ts src/__tests__/modelOps.cuda.gpu.test.ts -t 'matmul|usable') 2>&1 | tee "$OUT/test-matmul-tiled.log" || status=1
  fi
fi
if [[ "$mode" == bench || "$mode" == all ]]; then
  timeout 100 node packages/kernels-cuda/bench/scan_bench.cjs --json "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log" || status=1
fi
if [[ "$mode" == train ]]; then
  unxz_to "$D/dist.tar.xz" /tmp/sscan-dist.tar && tar -xf /tmp/sscan-dist.tar && rm /tmp/sscan-dist.tar
  # shellcheck disable=SC2086 # SSCAN_TRAIN_ARGS is a list of flags
  timeout "${SSCAN_TRAIN_SECONDS:-540}" node packages/cli/dist/bin.js train --task selective-copying --device cuda \
    --preset paper --steps 100000 --eval-every 50 ${SSCAN_TRAIN_ARGS:-} 2>&1 | tee "$OUT/train.log"
  rc=${PIPESTATUS[0]}
  # 124: the time limit ended it, which is the plan; anything else non-zero is a failure
  if ((rc != 0 && rc != 124)); then status=1; fi
  node packages/cli/dist/bin.js info >"$OUT/info.log" 2>&1 || true
fi
exit "$status"
