/**
 * The ROCm loader (index.cjs) without an AMD GPU: it never throws, and every reason it can give
 * is reached here through a fake /dev + /sys tree and a fake `load`, since no machine we test
 * on has an AMD GPU. Where the binary has been built on this machine, the last block also loads
 * the real sscan_rocm.node (and with it the real libamdhip64) and checks that HIP's "no GPU" is
 * a JS error, not a crash.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as RocmLoader from '../../index';

const requireHere = createRequire(import.meta.url);
const rocm = requireHere('../../index.cjs') as typeof RocmLoader;

const root = mkdtempSync(join(tmpdir(), 'sscan-rocm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let trees = 0;

/** A fake machine: /dev/kfd if `kfd`, and one KFD topology node per entry of `nodes`. */
function fakeMachine(opts: {
  kfd?: boolean;
  nodes?: Array<{ simd: number; gfx?: number }>;
  binary?: boolean;
}) {
  const dir = join(root, `m${trees++}`);
  mkdirSync(join(dir, 'dev'), { recursive: true });
  if (opts.kfd) writeFileSync(join(dir, 'dev/kfd'), '');
  (opts.nodes ?? []).forEach((n, i) => {
    const node = join(dir, 'sys/class/kfd/kfd/topology/nodes', String(i));
    mkdirSync(node, { recursive: true });
    const props = [`cpu_cores_count ${n.simd ? 0 : 16}`, `simd_count ${n.simd}`];
    if (n.gfx !== undefined) props.push(`gfx_target_version ${n.gfx}`);
    writeFileSync(join(node, 'properties'), `${props.join('\n')}\n`);
  });
  const binary = join(dir, 'sscan_rocm.node');
  if (opts.binary) writeFileSync(binary, '');
  return { sysRoot: dir, binary };
}

const CPU = { simd: 0 };
const MI210 = { simd: 416, gfx: 90010 }; // gfx90a
const RX7900 = { simd: 192, gfx: 110000 }; // gfx1100, not in the default build
const RX6700 = { simd: 80, gfx: 100301 }; // gfx1031

/** An addon stand-in that records whether HIP would have been called. */
function fakeAddon(archs: string, report: object = { status: 'ok', runtimeVersion: 50221153, devices: [] }) {
  const calls: string[] = [];
  const addon = {
    buildInfo: {
      cudaArchitectures: archs,
      cudaVersion: 50221153,
      kernelSources: 'selective_scan_fwd.cu',
      napiVersion: 8,
    },
    probe() {
      calls.push('probe');
      return report;
    },
  };
  return { addon, calls };
}

describe('on this machine', () => {
  it('does not throw at import or from probe(), and says why ROCm is not usable', () => {
    const r = rocm.probe();
    expect(r).toBe(rocm.probe()); // cached
    if (existsSync('/dev/kfd')) return; // an AMD machine: nothing to assert about a failure
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe('no-driver');
    expect(r.reason).toContain('/dev/kfd');
    expect(r.hint).toMatch(/modprobe amdgpu/);
  });
});

describe('each reason, on a fake machine', () => {
  it('no /dev/kfd: no-driver', () => {
    const m = fakeMachine({ nodes: [CPU, MI210], binary: true });
    const r = rocm.probeWith({ ...m, load: () => expect.unreachable('loaded the binary') });
    expect(r).toMatchObject({ ok: false, status: 'no-driver' });
  });

  it('/dev/kfd not accessible: no-permission, with the groups to join', () => {
    const m = fakeMachine({ kfd: true, nodes: [MI210], binary: true });
    // Tests run as root, for whom access() always succeeds: simulate the EACCES.
    const fsys = {
      ...requireHere('node:fs'),
      accessSync() {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    };
    const r = rocm.probeWith({ ...m, fsys });
    expect(r).toMatchObject({ ok: false, status: 'no-permission' });
    if (!r.ok) expect(r.hint).toContain('render,video');
  });

  it('a driver whose topology has only CPU nodes: no-device', () => {
    const m = fakeMachine({ kfd: true, nodes: [CPU], binary: true });
    expect(rocm.probeWith(m)).toMatchObject({ ok: false, status: 'no-device' });
  });

  it('a GPU but no binary: not-built, with the build command', () => {
    const m = fakeMachine({ kfd: true, nodes: [CPU, MI210] });
    const r = rocm.probeWith(m);
    expect(r).toMatchObject({ ok: false, status: 'not-built' });
    if (!r.ok) expect(r.hint).toContain('pnpm --filter @sscan/kernels-rocm build');
  });

  it('the HIP runtime missing: no-runtime, naming the runtime that is there instead', () => {
    const m = fakeMachine({ kfd: true, nodes: [MI210], binary: true });
    const libDir = join(m.sysRoot, 'rocm-6.2/lib');
    mkdirSync(libDir, { recursive: true });
    writeFileSync(join(libDir, 'libamdhip64.so.6'), '');
    const load = () => {
      throw new Error('libamdhip64.so.5: cannot open shared object file: No such file or directory');
    };
    const r = rocm.probeWith({ ...m, load, env: { LD_LIBRARY_PATH: libDir } });
    expect(r).toMatchObject({ ok: false, status: 'no-runtime' });
    if (r.ok) return;
    expect(r.reason).toContain(join(libDir, 'libamdhip64.so.6'));
    expect(r.reason).toContain('needs libamdhip64.so.5');
  });

  it('a binary that fails to load for another reason: load-failed', () => {
    const m = fakeMachine({ kfd: true, nodes: [MI210], binary: true });
    const load = () => {
      throw new Error('invalid ELF header');
    };
    expect(rocm.probeWith({ ...m, load })).toMatchObject({ ok: false, status: 'load-failed' });
  });

  it('a GPU the binary has no code for: no-kernel-image, decided before any HIP call', () => {
    const m = fakeMachine({ kfd: true, nodes: [CPU, RX7900], binary: true });
    const { addon, calls } = fakeAddon('gfx908,gfx90a,gfx1030');
    const r = rocm.probeWith({ ...m, load: () => addon });
    expect(r).toMatchObject({ ok: false, status: 'no-kernel-image' });
    if (!r.ok) {
      expect(r.reason).toContain('gfx1100');
      expect(r.hint).toContain('SSCAN_HIP_ARCHS="gfx1100"');
    }
    // The ROCm 5 runtime may abort the process on a missing code object: HIP must not be asked.
    expect(calls).toEqual([]);
  });

  it('HSA_OVERRIDE_GFX_VERSION makes a gfx1031 run gfx1030 code, as the runtime would', () => {
    const m = fakeMachine({ kfd: true, nodes: [RX6700], binary: true });
    const { addon, calls } = fakeAddon('gfx908,gfx90a,gfx1030');
    expect(rocm.probeWith({ ...m, load: () => addon })).toMatchObject({ status: 'no-kernel-image' });
    const r = rocm.probeWith({ ...m, load: () => addon, env: { HSA_OVERRIDE_GFX_VERSION: '10.3.0' } });
    expect(r.ok).toBe(true);
    expect(calls).toEqual(['probe']);
  });

  it("an xnack-specific build target matches the GPU's base architecture", () => {
    const m = fakeMachine({ kfd: true, nodes: [MI210], binary: true });
    const { addon } = fakeAddon('gfx90a:xnack-');
    expect(rocm.probeWith({ ...m, load: () => addon }).ok).toBe(true);
  });

  it('HIP reporting a failure: its message is kept', () => {
    const m = fakeMachine({ kfd: true, nodes: [MI210], binary: true });
    const { addon } = fakeAddon('gfx90a', {
      status: 'no-device',
      runtimeVersion: 50221153,
      cudaError: 'hipErrorNoDevice',
      message: 'no ROCm-capable device is detected',
    });
    const r = rocm.probeWith({ ...m, load: () => addon });
    expect(r).toMatchObject({ ok: false, status: 'no-device' });
    if (!r.ok) expect(r.reason).toContain('hipErrorNoDevice');
  });

  it('all good: ok, with the usable devices and the GPUs the driver lists', () => {
    const m = fakeMachine({ kfd: true, nodes: [CPU, MI210, MI210], binary: true });
    const devices = [
      { index: 0, usable: true },
      { index: 1, usable: false },
    ];
    const { addon } = fakeAddon('gfx908,gfx90a,gfx1030', { status: 'ok', runtimeVersion: 1, devices });
    const r = rocm.probeWith({ ...m, load: () => addon });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.devices.map((d) => d.index)).toEqual([0]);
    expect(r.gpus).toEqual([
      { node: 1, arch: 'gfx90a' },
      { node: 2, arch: 'gfx90a' },
    ]);
    expect(r.kernels).toBe(true);
  });
});

describe('gfxName', () => {
  it("turns KFD's gfx_target_version into the compiler's target name", () => {
    // The hex digits matter: 9.0.10 is gfx90a, not gfx9010.
    expect(rocm.gfxName(90008)).toBe('gfx908');
    expect(rocm.gfxName(90010)).toBe('gfx90a');
    expect(rocm.gfxName(90402)).toBe('gfx942');
    expect(rocm.gfxName(100300)).toBe('gfx1030');
    expect(rocm.gfxName(110000)).toBe('gfx1100');
  });
});

const built = existsSync(rocm.binaryPath);
describe.skipIf(!built || existsSync('/dev/kfd'))('the real binary, on this GPU-less machine', () => {
  it('loads with the real libamdhip64 and reports the architectures it was built for', () => {
    const addon = requireHere(rocm.binaryPath) as RocmLoader.SscanRocmAddon;
    expect(addon.buildInfo.cudaArchitectures).toMatch(/^gfx[0-9a-f]+(,gfx[0-9a-f]+(:[a-z+-]+)?)*$/);
    // HIP_VERSION: 5.2 is 50200000 and up.
    expect(addon.buildInfo.cudaVersion).toBeGreaterThanOrEqual(50_000_000);
  });

  it('refuses a GPU it has no code for before calling HIP, and otherwise asks HIP', () => {
    // The driver files are fake (this machine has no AMD GPU); the binary and libamdhip64 are real.
    const rdna2 = fakeMachine({ kfd: true, nodes: [CPU, RX6700] });
    expect(rocm.probeWith({ sysRoot: rdna2.sysRoot, binary: rocm.binaryPath })).toMatchObject({
      ok: false,
      status: 'no-kernel-image',
    });
    // gfx90a is in the binary, so the addon's probe runs and HIP, finding no GPU, says so.
    const mi210 = fakeMachine({ kfd: true, nodes: [CPU, MI210] });
    const r = rocm.probeWith({ sysRoot: mi210.sysRoot, binary: rocm.binaryPath });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(['no-device', 'hip-error']).toContain(r.status);
  });

  it("turns HIP's 'no device' into a JS error carrying the HIP error name", () => {
    const addon = requireHere(rocm.binaryPath) as RocmLoader.SscanRocmAddon;
    let error: (Error & { code?: string; cudaError?: string }) | undefined;
    try {
      addon.deviceCount();
    } catch (err) {
      error = err as typeof error;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error?.code).toBe('ERR_SSCAN_CUDA');
    expect(error?.cudaError).toMatch(/^hipError/);
  });
});
