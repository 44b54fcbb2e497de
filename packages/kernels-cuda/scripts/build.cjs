#!/usr/bin/env node
// Builds the addon with cmake-js, or skips cleanly where CUDA is not installed.
//
//   node scripts/build.cjs              development build (SSCAN_CUDA_ARCHS, default "90")
//   node scripts/build.cjs --release    every supported architecture (see CMakeLists.txt)
//
// Without nvcc on PATH (or CUDACXX) this prints why and exits 0, so `pnpm build` works on
// machines without the CUDA toolkit; set SSCAN_REQUIRE_CUDA=1 to make that an error (CI
// jobs that must produce the binary).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const release = process.argv.includes('--release');
const archs = release ? 'release' : process.env.SSCAN_CUDA_ARCHS || '90';

function findNvcc() {
  if (process.env.CUDACXX && fs.existsSync(process.env.CUDACXX)) return process.env.CUDACXX;
  const r = spawnSync('nvcc', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return 'nvcc';
  const standard = '/usr/local/cuda/bin/nvcc';
  return fs.existsSync(standard) ? standard : null;
}

const nvcc = findNvcc();
if (!nvcc) {
  const msg =
    '@sscan/kernels-cuda: nvcc (the CUDA toolkit) was not found, so the CUDA addon is not built.\n' +
    '  Install the CUDA toolkit 12.8+ and put nvcc on PATH (or set CUDACXX), then run\n' +
    '  `pnpm --filter @sscan/kernels-cuda build`. @sscan/core falls back to its CPU backend.';
  if (process.env.SSCAN_REQUIRE_CUDA === '1') {
    console.error(`${msg}\n  SSCAN_REQUIRE_CUDA=1 is set: failing.`);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
const args = [
  cmakeJs,
  'build', // not 'compile': that retries a failed build as a full rebuild, doubling the wait for an error
  '--directory',
  root,
  '--config',
  'Release',
  '--parallel',
  String(Math.max(1, require('node:os').availableParallelism?.() ?? 2)),
  `--CDSSCAN_CUDA_ARCHS=${archs}`,
];
if (nvcc !== 'nvcc') args.push(`--CDCMAKE_CUDA_COMPILER=${nvcc}`);
console.log(`@sscan/kernels-cuda: building for CUDA architectures "${archs}" with ${nvcc}`);
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
