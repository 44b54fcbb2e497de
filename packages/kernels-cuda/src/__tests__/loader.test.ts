/**
 * The loader on a machine without a usable GPU (every CI and developer machine here): it
 * must never throw, must say why the addon cannot be used and what to do, and the native
 * code must reject bad input with JS errors before it touches CUDA.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as KernelsCuda from '../../index';

const requireHere = createRequire(import.meta.url);
const pkg = requireHere('../../index.cjs') as typeof KernelsCuda;

function driverPresent(): boolean {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libcuda.so.1');
  } catch {
    return false;
  }
}

const built = existsSync(pkg.binaryPath);
const noDriver = !driverPresent();

function randInt(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

describe('probe()', () => {
  it('returns a reason and a hint instead of throwing, and remembers its answer', () => {
    const r = pkg.probe();
    expect(pkg.probe()).toBe(r);
    if (r.ok) return; // a machine with a working GPU: nothing more to check here
    expect(r.reason.length).toBeGreaterThan(10);
    expect(r.hint).toMatch(/`[^`]+`/); // names a command to run
    if (!built) expect(r.status).toBe('not-built');
  });

  it.skipIf(!built || !noDriver)('reports a missing driver as no-driver, before any CUDA call', () => {
    const r = pkg.probe();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe('no-driver');
    expect(r.reason).toContain('libcuda.so.1');
    expect(r.report?.runtimeVersion).toBeGreaterThanOrEqual(12000);
  });
});

describe.skipIf(!built)('the raw addon without a GPU', () => {
  // Loaded in beforeAll, not in the describe body: vitest runs the bodies of skipped
  // describes too, and without a build the require would fail the whole file.
  let addon: KernelsCuda.SscanCudaAddon;
  beforeAll(() => {
    addon = requireHere(pkg.binaryPath) as KernelsCuda.SscanCudaAddon;
  });

  it('exports the kernel-argument layout with every slot named once', () => {
    for (const names of [addon.layout.meta, addon.layout.fwd, addon.layout.bwd, addon.layout.step]) {
      expect(new Set(names).size).toBe(names.length);
    }
    expect(addon.layout.fwd.slice(0, 9)).toEqual(addon.layout.bwd.slice(0, 9));
  });

  it('rejects a handle it never gave out with a RangeError', () => {
    const handle = BigInt(randInt(1, 1 << 30));
    expect(() => addon.free(handle)).toThrow(RangeError);
    try {
      addon.free(handle);
    } catch (err) {
      expect((err as KernelsCuda.SscanCudaError).code).toBe('ERR_SSCAN_INVALID_HANDLE');
      expect((err as Error).message).toContain(`handle ${handle}`);
    }
  });

  it('names the function, argument, expectation and value for bad arguments', () => {
    expect(() => addon.malloc('0' as unknown as number, 16)).toThrow(TypeError);
    expect(() => addon.malloc(0.5, 16)).toThrow(/malloc: argument 'device' must be an integer/);
    expect(() => addon.malloc(0, -randInt(1, 100))).toThrow(/argument 'bytes'.*got -\d+/);
    expect(() => addon.free(-1n)).toThrow(RangeError);
    expect(() => addon.memset(1n, 0, 256, 4)).toThrow(
      /argument 'value' must be an integer in \[0, 255\], got 256/,
    );
  });

  it('checks kernel arguments (array types, lengths, sizes) before touching CUDA', () => {
    const meta = new Float64Array(addon.layout.meta.length);
    const buffers = new BigInt64Array(2 * addon.layout.fwd.length);
    const at = (name: string) => addon.layout.meta.indexOf(name);
    const dim = randInt(2, 64) * 3;
    meta[at('batch')] = randInt(1, 4);
    meta[at('dim')] = dim;
    meta[at('seqlen')] = randInt(1, 100);
    meta[at('dstate')] = randInt(1, 16);
    meta[at('variableB')] = 1;
    meta[at('groups')] = dim + 1; // never divides dim
    expect(() => addon.selectiveScanFwd(0, meta, buffers)).toThrow(/groups.*a divisor of dim/);
    meta[at('groups')] = 3;
    meta[at('dtype')] = 7;
    expect(() => addon.selectiveScanFwd(0, meta, buffers)).toThrow(/dtype/);
    meta[at('dtype')] = 0;
    expect(() => addon.selectiveScanFwd(0, new Float64Array(3), buffers)).toThrow(RangeError);
    expect(() => addon.selectiveScanFwd(0, meta, new BigInt64Array(3))).toThrow(/buffers/);
    expect(() => addon.savedBytes(new Float32Array(meta.length) as unknown as Float64Array)).toThrow(
      TypeError,
    );
  });

  it('checks modelOp arguments (op name, arrays, handles, ranks, strides) before touching CUDA', () => {
    const L = addon.modelOpLayout;
    expect(Object.keys(L.ops)).toContain('CrossEntropyBackward');
    expect(L.metaLength).toBe(L.scalarSlots + L.tensorSlots * (2 + 2 * L.maxRank));
    const meta = new Float64Array(L.metaLength);
    const buffers = new BigInt64Array(2 * L.tensorSlots);
    expect(() => addon.modelOp(0, 'Matmul', meta, buffers)).toThrow(
      /argument 'name' must be one of .*MatMul.*got 'Matmul'/,
    );
    expect(() => addon.modelOp(0, 'Binary', new Float64Array(3), buffers)).toThrow(RangeError);
    expect(() => addon.modelOp(0, 'Binary', meta, buffers)).toThrow(/'buffers.a' must be a memory handle/);
    const handle = BigInt(randInt(1, 1 << 30));
    buffers.fill(handle);
    for (let i = 1; i < buffers.length; i += 2) buffers[i] = 0n;
    const slot = (i: number) => L.scalarSlots + i * (2 + 2 * L.maxRank);
    meta[slot(0) + 1] = L.maxRank + 1;
    expect(() => addon.modelOp(0, 'Binary', meta, buffers)).toThrow(
      /'meta.a.rank' must be an integer in \[0, 8\], got 9/,
    );
    meta[slot(0) + 1] = 1;
    meta[slot(0) + 2] = 5;
    meta[slot(0) + 2 + L.maxRank] = -1;
    expect(() => addon.modelOp(0, 'Binary', meta, buffers)).toThrow(
      /'meta.a.strides\[0\]' must be an integer in \[0, /,
    );
    meta[slot(0) + 2 + L.maxRank] = 1;
    try {
      addon.modelOp(0, 'Binary', meta, buffers);
      expect.unreachable('the handle was never given out');
    } catch (err) {
      expect(err).toBeInstanceOf(RangeError);
      expect((err as KernelsCuda.SscanCudaError).code).toBe('ERR_SSCAN_INVALID_HANDLE');
      expect((err as Error).message).toContain(`modelOp(Binary): argument 'buffers.a': handle ${handle}`);
    }
    expect(addon.matMulBackend()).toMatch(/^(cuBLAS \(|sscan tiled kernel \()/);
  });

  it.skipIf(!noDriver)(
    'turns a CUDA failure into a catchable error with the CUDA error name, repeatedly',
    () => {
      for (let i = 0; i < 2; i++) {
        try {
          addon.malloc(0, randInt(1, 4096));
          expect.unreachable('malloc cannot succeed without a driver');
        } catch (err) {
          const e = err as KernelsCuda.SscanCudaError;
          expect(e.code).toBe('ERR_SSCAN_CUDA');
          expect(e.op).toBe('malloc');
          expect(e.cudaError).toMatch(/^cudaError/);
          expect(e.message).toMatch(/\[csrc\/addon\/\w+\.cpp:\d+\]/);
        }
      }
    },
  );
});
