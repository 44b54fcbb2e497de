#!/usr/bin/env node
// Builds the ROCm addon with cmake-js and hipcc, or skips cleanly where ROCm is not installed.
//
//   node scripts/build.cjs                        gfx908;gfx90a;gfx1030 (CMakeLists.txt default)
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
    "  Debian 12 / Ubuntu: `apt-get install hipcc librocprim-dev` (ROCm 5.2); or AMD's ROCm in /opt/rocm\n" +
    '  (set ROCM_PATH or HIPCC). Then run `pnpm --filter @sscan/kernels-rocm build`.\n' +
    '  @sscan/core falls back to CUDA or its CPU backend.';
  if (required) {
    console.error(`${msg}\n  SSCAN_REQUIRE_ROCM=1 is set: failing.`);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

const archs = process.env.SSCAN_HIP_ARCHS || 'gfx908;gfx90a;gfx1030';
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
const args = [
  cmakeJs,
  // `build`, not `compile`: compile retries a failed build from scratch, doubling the time a
  // real compile error takes to fail CI.
  'build',
  '--directory',
  root,
  '--config',
  'Release',
  '--parallel',
  String(Math.max(1, os.availableParallelism?.() ?? 2)),
  `--cxx=${hipcc}`,
  `--CDSSCAN_HIP_ARCHS=${archs}`,
];
// hipcc decides its target platform at each call; with nvcc on PATH it would pick NVIDIA.
const env = { ...process.env, HIP_PLATFORM: 'amd' };
console.log(`@sscan/kernels-rocm: building for HIP architectures "${archs}" with ${hipcc}`);
const started = Date.now();
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
if (r.status === 0) {
  console.log(
    `@sscan/kernels-rocm: built build/Release/sscan_rocm.node in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}
process.exit(r.status ?? 1);
