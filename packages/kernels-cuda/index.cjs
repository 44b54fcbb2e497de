'use strict';
// @sscan/kernels-cuda: loads the native addon and says, when it cannot be used, why and what
// to do. Never throws at require() time and never touches the GPU until probe() is called:
// the binary links the CUDA runtime statically, and its probe() dlopen()s libcuda.so.1
// before any CUDA call, so a machine without a driver gets a reason, not a crash.
//
//   const { probe } = require('@sscan/kernels-cuda');
//   const r = probe();   // { ok: true, addon, devices, ... } | { ok: false, status, reason, hint }
const path = require('node:path');

const binaryPath = path.join(__dirname, 'build', 'Release', 'sscan_cuda.node');
const BUILD = 'pnpm --filter @sscan/kernels-cuda build';
const USE_CPU = 'Meanwhile SSCAN_BACKEND=cpu uses the CPU backend.';

let cached = null;

function fail(status, reason, hint, report) {
  return report === undefined
    ? { ok: false, status, reason, hint }
    : { ok: false, status, reason, hint, report };
}

function loadBinary() {
  try {
    return { addon: require(binaryPath) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = err && typeof err === 'object' && 'code' in err ? err.code : undefined;
    if (code === 'MODULE_NOT_FOUND') {
      return {
        failure: fail(
          'not-built',
          `no CUDA binary for ${process.platform}-${process.arch}: ${binaryPath} does not exist`,
          `Build it with \`${BUILD}\` (needs the CUDA toolkit's nvcc, CMake >= 3.25 and a C++17 compiler). ${USE_CPU}`,
        ),
      };
    }
    return {
      failure: fail(
        'load-failed',
        `${binaryPath} exists but could not be loaded: ${message}`,
        `Rebuild it for this machine with \`${BUILD}\` (a binary built elsewhere may need a newer glibc/libstdc++). ${USE_CPU}`,
      ),
    };
  }
}

function fromReport(addon, report) {
  const cudaVersion = (v) => `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
  switch (report.status) {
    case 'ok': {
      const devices = report.devices.filter((d) => d.usable);
      const kernels = addon.buildInfo.kernelSources.length > 0;
      return { ok: true, addon, devices, kernels, report, binaryPath };
    }
    case 'no-driver':
      return fail(
        'no-driver',
        `no NVIDIA driver: ${report.message}`,
        'Install the NVIDIA driver (R580 or newer for CUDA 13) so that libcuda.so.1 loads: `nvidia-smi` should list your GPU ' +
          'and `ldconfig -p | grep libcuda.so.1` should find it. In a container, start it with `--gpus all` ' +
          `(NVIDIA Container Toolkit). ${USE_CPU}`,
        report,
      );
    case 'insufficient-driver':
      return fail(
        'insufficient-driver',
        `NVIDIA driver too old: ${report.message}`,
        `Update the NVIDIA driver to one supporting CUDA ${cudaVersion(report.runtimeVersion)} (R580+), ` +
          `or rebuild with an older CUDA toolkit: \`${BUILD}\`. ${USE_CPU}`,
        report,
      );
    case 'no-device':
      return fail(
        'no-device',
        `no CUDA device: ${report.message}`,
        `Check \`nvidia-smi\` and CUDA_VISIBLE_DEVICES (an empty or wrong value hides every GPU). ${USE_CPU}`,
        report,
      );
    case 'no-kernel-image':
      return fail(
        'no-kernel-image',
        `no code for this GPU in the binary: ${report.message}`,
        `Rebuild for your GPU: \`SSCAN_CUDA_ARCHS=<sm, e.g. 86> ${BUILD}\`, or every architecture with ` +
          `\`pnpm --filter @sscan/kernels-cuda build:release\`. ${USE_CPU}`,
        report,
      );
    default:
      return fail(
        'cuda-error',
        `CUDA failed while probing: ${report.message}${report.cudaError ? ` (${report.cudaError})` : ''}`,
        `Check \`nvidia-smi\` for a healthy GPU and driver; if it persists, rebuild with \`${BUILD}\`. ${USE_CPU}`,
        report,
      );
  }
}

/** Loads and probes the addon once; later calls return the same answer. */
function probe() {
  if (cached !== null) return cached;
  const loaded = loadBinary();
  if (loaded.failure) {
    cached = loaded.failure;
    return cached;
  }
  try {
    cached = fromReport(loaded.addon, loaded.addon.probe());
  } catch (err) {
    cached = fail(
      'cuda-error',
      `the addon's probe failed: ${err instanceof Error ? err.message : String(err)}`,
      `Rebuild with \`${BUILD}\`. ${USE_CPU}`,
    );
  }
  return cached;
}

module.exports = { probe, binaryPath };
