#!/usr/bin/env node
// Builds the ROCm addon with cmake-js and hipcc, or skips cleanly where ROCm is not installed.
//
//   node scripts/build.cjs                        gfx90a;gfx1030 (CMakeLists.txt's default: one
//                                                 target per wavefront width, 64 and 32)
//   SSCAN_HIP_ARCHS="gfx908;gfx90a;gfx1030" node scripts/build.cjs   the release list
//   SSCAN_HIP_ARCHS="gfx90a" node scripts/build.cjs        one architecture (faster)
//   SSCAN_HIP_ARCHS="gfx942;gfx1100" node scripts/build.cjs   needs ROCm 6 or newer
//
// Without hipcc this prints why and exits 0, so `pnpm build` works on machines without ROCm;
// SSCAN_REQUIRE_ROCM=1 makes that an error (CI, where the toolchain is installed and a compile
// failure must fail the run).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const required = process.env.SSCAN_REQUIRE_ROCM === '1';

function findHipcc() {
  const candidates = [
    process.env.HIPCC,
    process.env.ROCM_PATH && path.join(process.env.ROCM_PATH, 'bin', 'hipcc'),
    ...(process.env.PATH || '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.join(d, 'hipcc')),
    '/opt/rocm/bin/hipcc',
  ];
  return candidates.find((p) => p && fs.existsSync(p)) ?? null;
}

const hipcc = findHipcc();
if (!hipcc) {
  const msg =
    '@sscan/kernels-rocm: hipcc (the ROCm HIP compiler) was not found, so the ROCm addon is not built.\n' +
    "  Debian 12: `apt-get install hipcc librocprim-dev` (ROCm 5.2); or AMD's ROCm in /opt/rocm\n" +
    '  (set ROCM_PATH or HIPCC). Then run `pnpm --filter @sscan/kernels-rocm build`.\n' +
    '  @sscan/core falls back to CUDA or its CPU backend.';
  if (required) {
    console.error(`${msg}\n  SSCAN_REQUIRE_ROCM=1 is set: failing.`);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

// The default list is CMakeLists.txt's (SSCAN_HIP_ARCHS there says why these two).
const archs = process.env.SSCAN_HIP_ARCHS || 'gfx90a;gfx1030';
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
const common = ['--directory', root, '--config', 'Release', `--cxx=${hipcc}`, `--CDSSCAN_HIP_ARCHS=${archs}`];
// hipcc decides its target platform at each call; with nvcc on PATH it would pick NVIDIA.
const env = { ...process.env, HIP_PLATFORM: 'amd' };
const run = (args) => spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: 'inherit', env });

console.log(`@sscan/kernels-rocm: building for HIP architectures "${archs}" with ${hipcc}`);
const started = Date.now();
// configure every time: `cmake-js build` alone keeps the architectures cached in an existing
// build directory. Not `compile` either: it retries a failed build from scratch, doubling the
// time a real compile error takes to fail CI.
let r = run(['configure', ...common]);
if (r.status === 0) {
  r = run(['build', ...common, '--parallel', String(Math.max(1, os.availableParallelism?.() ?? 2))]);
}
if (r.status === 0) {
  // What each target's code objects hold (see the script): no AMD GPU in CI launches them.
  r = spawnSync(process.execPath, [path.join(__dirname, 'check-code-objects.cjs'), '--archs', archs], {
    cwd: root,
    stdio: 'inherit',
  });
}
if (r.status === 0) {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`@sscan/kernels-rocm: built build/Release/sscan_rocm.node for ${archs} in ${seconds} s`);
}
process.exit(r.status ?? 1);
