'use strict';
// @sscan/kernels-rocm: loads the HIP build of the addon and says, when it cannot be used, why
// and what to do. Never throws, at require() time or from probe().
//
//   const { probe } = require('@sscan/kernels-rocm');
//   const r = probe();   // { ok: true, addon, devices, ... } | { ok: false, status, reason, hint }
//
// The checks run cheapest and safest first, and the HIP runtime is not called until every one
// that can be done without it has passed:
//   1. the amdgpu kernel driver is there: /dev/kfd exists and is usable      else 'no-driver' /
//                                                                                 'no-permission'
//   2. the driver's topology (sysfs) lists a GPU                             else 'no-device'
//   3. the binary exists                                                     else 'not-built'
//   4. loading the binary loads libamdhip64.so.<N> (the dlopen probe)        else 'no-runtime'
//   5. some GPU's architecture (gfx...) is one the binary was compiled for   else 'no-kernel-image'
//   6. the addon's own probe: HIP counts the devices and runs a kernel       else its status
// Step 5 comes before any HIP call on purpose: the ROCm 5 HIP runtime may abort the process
// ("hipErrorNoBinaryForGpu: Unable to find code object for all current devices!") instead of
// returning an error when no code object fits the GPU, and an abort is not something a caller
// can catch.
const fs = require('node:fs');
const path = require('node:path');

const binaryPath = path.join(__dirname, 'build', 'Release', 'sscan_rocm.node');
const BUILD = 'pnpm --filter @sscan/kernels-rocm build';
const USE_CPU = 'Meanwhile SSCAN_BACKEND=cpu uses the CPU backend.';

// Where ROCm installs the HIP runtime: AMD's packages (/opt/rocm*, ROCM_PATH) and the
// distributions' (Debian/Ubuntu multiarch, Fedora lib64). Used only to explain a failed load.
function runtimeSearchDirs(env, fsys) {
  const dirs = [];
  for (const d of (env.LD_LIBRARY_PATH || '').split(':')) if (d) dirs.push(d);
  if (env.ROCM_PATH) dirs.push(path.join(env.ROCM_PATH, 'lib'));
  dirs.push('/opt/rocm/lib');
  try {
    for (const e of fsys.readdirSync('/opt')) if (/^rocm-/.test(e)) dirs.push(path.join('/opt', e, 'lib'));
  } catch {
    // no /opt: nothing to add
  }
  dirs.push('/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib');
  return [...new Set(dirs)];
}

/** Every libamdhip64.so* found in the usual places (paths), for the 'no-runtime' message. */
function findHipRuntimes(env = process.env, fsys = fs) {
  const found = [];
  for (const dir of runtimeSearchDirs(env, fsys)) {
    let entries;
    try {
      entries = fsys.readdirSync(dir);
    } catch {
      continue;
    }
    for (const e of entries) if (/^libamdhip64\.so(\.\d+)*$/.test(e)) found.push(path.join(dir, e));
  }
  return found;
}

// KFD reports gfx_target_version as major*10000 + minor*100 + stepping, in decimal; the gfx
// name writes minor and stepping as one hex digit each: 90010 -> gfx90a, 100300 -> gfx1030.
function gfxName(targetVersion) {
  const major = Math.floor(targetVersion / 10000);
  const minor = Math.floor(targetVersion / 100) % 100;
  const stepping = targetVersion % 100;
  return `gfx${major}${minor.toString(16)}${stepping.toString(16)}`;
}

// HSA_OVERRIDE_GFX_VERSION=10.3.0 makes the runtime treat every GPU as that target (a common
// way to run gfx1030 code on other RDNA2 chips); the topology in sysfs still shows the real one.
function overrideArch(env) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(env.HSA_OVERRIDE_GFX_VERSION || '');
  return m ? gfxName(Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3])) : null;
}

/**
 * The GPUs the amdgpu driver exposes, from its topology in sysfs, without loading any ROCm
 * library: [{ node, arch, name }] (CPU nodes, which have no SIMDs, are left out).
 */
function kfdGpus(sysRoot = '/', env = process.env, fsys = fs) {
  const nodesDir = path.join(sysRoot, 'sys/class/kfd/kfd/topology/nodes');
  let nodes;
  try {
    nodes = fsys
      .readdirSync(nodesDir)
      .filter((n) => /^\d+$/.test(n))
      .sort((a, b) => a - b);
  } catch {
    return null; // no topology at all: the driver is not loaded
  }
  const forced = overrideArch(env);
  const gpus = [];
  for (const node of nodes) {
    let text;
    try {
      text = fsys.readFileSync(path.join(nodesDir, node, 'properties'), 'utf8');
    } catch {
      continue;
    }
    const props = {};
    for (const line of text.split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key && value !== undefined) props[key] = Number(value);
    }
    if (!props.simd_count) continue;
    const arch = forced ?? (props.gfx_target_version ? gfxName(props.gfx_target_version) : 'unknown');
    gpus.push({ node: Number(node), arch });
  }
  return gpus;
}

function fail(status, reason, hint, report) {
  return report === undefined
    ? { ok: false, status, reason, hint }
    : { ok: false, status, reason, hint, report };
}

function isRuntimeMissing(message) {
  return /lib(amdhip64|hsa-runtime64|amd_comgr)[^:]*: cannot open shared object file/.test(message);
}

/**
 * The probe, with every outside input injectable so each outcome can be tested on a machine
 * without ROCm: `sysRoot` (where /dev and /sys are), `env`, `fs`, and `load` (require).
 */
function probeWith({
  sysRoot = '/',
  env = process.env,
  fsys = fs,
  load = require,
  binary = binaryPath,
} = {}) {
  // 1. The kernel driver. /dev/kfd is what the ROCm runtime opens to reach any AMD GPU.
  const kfd = path.join(sysRoot, 'dev/kfd');
  try {
    fsys.accessSync(kfd, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    if (err && err.code === 'EACCES') {
      return fail(
        'no-permission',
        `${kfd} exists but this user may not open it`,
        'Add the user to the groups that own /dev/kfd and /dev/dri/renderD*: ' +
          '`sudo usermod -aG render,video $USER`, then log in again. In a container, pass ' +
          `\`--device=/dev/kfd --device=/dev/dri --group-add video --group-add render\`. ${USE_CPU}`,
      );
    }
    return fail(
      'no-driver',
      `no AMD GPU driver: ${kfd} does not exist (the amdgpu kernel module is not loaded, or there is no AMD GPU)`,
      'On a machine with an AMD GPU: load the amdgpu driver (`sudo modprobe amdgpu`; `ls /dev/kfd` should then ' +
        'succeed) or install it with ROCm. In a container, pass `--device=/dev/kfd --device=/dev/dri`. ' +
        USE_CPU,
    );
  }

  // 2. A GPU in the driver's topology.
  const gpus = kfdGpus(sysRoot, env, fsys) ?? [];
  if (gpus.length === 0) {
    return fail(
      'no-device',
      'the amdgpu driver is loaded but its topology lists no GPU',
      '`rocminfo` lists what ROCm sees. Check that the GPU is one ROCm supports, and that ' +
        `HIP_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES do not hide it. ${USE_CPU}`,
    );
  }

  // 3. The binary (no point in asking for a build on a machine without an AMD GPU).
  if (!fsys.existsSync(binary)) {
    return fail(
      'not-built',
      `no ROCm binary for ${process.platform}-${process.arch}: ${binary} does not exist`,
      `Build it with \`${BUILD}\` (needs hipcc: \`apt-get install hipcc librocprim-dev\` on Debian 12, ` +
        `or AMD's ROCm in /opt/rocm; CMake >= 3.25). ${USE_CPU}`,
    );
  }

  // 4. Loading the binary is the dlopen probe of the HIP runtime it is linked against.
  let addon;
  try {
    addon = load(binary);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (isRuntimeMissing(message)) {
      const found = findHipRuntimes(env, fsys);
      const need = /(libamdhip64\.so\.\d+)/.exec(message)?.[1] ?? 'libamdhip64.so';
      return fail(
        'no-runtime',
        `the ROCm HIP runtime could not be loaded: ${message}` +
          (found.length > 0 ? ` (found ${found.join(', ')}, but this binary needs ${need})` : ''),
        found.length > 0
          ? `Rebuild against the installed ROCm with \`${BUILD}\` (set ROCM_PATH to it), or put the directory ` +
              `holding ${need} on LD_LIBRARY_PATH. ${USE_CPU}`
          : "Install the ROCm runtime (`apt-get install libamdhip64-5` on Debian 12, or AMD's ROCm) and make " +
              `sure its lib directory is known to the loader (\`ldconfig -p | grep libamdhip64\`). ${USE_CPU}`,
      );
    }
    return fail(
      'load-failed',
      `${binary} exists but could not be loaded: ${message}`,
      `Rebuild it for this machine with \`${BUILD}\`. ${USE_CPU}`,
    );
  }

  // 5. An architecture match, before the first HIP call (see the top of this file).
  const built = String(addon.buildInfo?.cudaArchitectures ?? '')
    .split(/[,;\s]+/)
    .filter(Boolean)
    .map((a) => a.split(':')[0]); // gfx90a:xnack- runs on gfx90a
  const known = gpus.filter((g) => g.arch !== 'unknown');
  if (known.length === gpus.length && !gpus.some((g) => built.includes(g.arch))) {
    const archs = [...new Set(gpus.map((g) => g.arch))];
    return fail(
      'no-kernel-image',
      `no code for this GPU in the binary: the GPU is ${archs.join(', ')}, the binary holds ${built.join(', ') || 'nothing'}`,
      `Rebuild for your GPU: \`SSCAN_HIP_ARCHS="${archs.join(';')}" ${BUILD}\` (gfx94x and gfx11xx need ROCm 6 or newer). ` +
        USE_CPU,
    );
  }

  // 6. HIP itself.
  let report;
  try {
    report = addon.probe();
  } catch (err) {
    return fail(
      'hip-error',
      `the addon's probe failed: ${err instanceof Error ? err.message : String(err)}`,
      `Check \`rocminfo\` for a healthy GPU; if it persists, rebuild with \`${BUILD}\`. ${USE_CPU}`,
    );
  }
  if (report.status === 'ok') {
    const devices = report.devices.filter((d) => d.usable);
    const kernels = String(addon.buildInfo.kernelSources ?? '').length > 0;
    return { ok: true, addon, devices, kernels, report, binaryPath: binary, gpus };
  }
  const why = `${report.message ?? report.status}${report.cudaError ? ` (${report.cudaError})` : ''}`;
  if (report.status === 'no-device') {
    return fail(
      'no-device',
      `HIP sees no device: ${why}`,
      `Check \`rocminfo\` and HIP_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES. ${USE_CPU}`,
      report,
    );
  }
  if (report.status === 'no-kernel-image') {
    return fail(
      'no-kernel-image',
      `no code for this GPU in the binary: ${why}`,
      `Rebuild for your GPU: \`SSCAN_HIP_ARCHS=<gfx name from rocminfo> ${BUILD}\`. ${USE_CPU}`,
      report,
    );
  }
  return fail(
    'hip-error',
    `HIP failed while probing: ${why}`,
    `Check \`rocminfo\` for a healthy GPU and driver. ${USE_CPU}`,
    report,
  );
}

let cached = null;

/** Loads and probes the addon once; later calls return the same answer. Never throws. */
function probe() {
  if (cached === null) {
    try {
      cached = probeWith();
    } catch (err) {
      cached = fail(
        'load-failed',
        `probing ROCm failed: ${err instanceof Error ? err.message : String(err)}`,
        USE_CPU,
      );
    }
  }
  return cached;
}

module.exports = { probe, probeWith, binaryPath, kfdGpus, findHipRuntimes, gfxName };
