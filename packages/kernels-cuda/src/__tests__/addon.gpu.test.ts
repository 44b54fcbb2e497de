/**
 * The addon on a real GPU: memory, copies, the caching allocator, error paths that must not
 * kill the process, and the forward/step kernels against a float64 formula written here,
 * independently of the kernels and of the TS CPU backend. Fresh random inputs every run.
 *
 * No silent skip: without a usable GPU the first test fails with the probe's reason.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as KernelsCuda from '../../index';

const requireHere = createRequire(import.meta.url);
const pkg = requireHere('../../index.cjs') as typeof KernelsCuda;
const probed = pkg.probe();

const randInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const randn = (n: number, scale = 1) =>
  Float32Array.from(
    { length: n },
    () => scale * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()),
  );

// Byte arrays of up to 8 MiB: expect().toEqual compares typed arrays element by element
// through its generic deep equality, ~1 µs a byte (the copy test drew 8 MiB and ran past its
// time limit on the H200, 2026-11-30). This says where the first difference is instead.
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const first = Buffer.compare(actual, expected) === 0 ? -1 : actual.findIndex((v, i) => v !== expected[i]);
  const detail =
    first < 0
      ? 'same'
      : `first difference at byte ${first}: got ${actual[first]}, expected ${expected[first]}`;
  expect(detail, what).toBe('same');
}

describe('probe on a GPU machine', () => {
  it('finds a usable device and the kernels', () => {
    expect(probed.ok ? 'ok' : `${probed.reason} — ${probed.hint}`).toBe('ok');
    if (!probed.ok) return;
    expect(probed.devices.length).toBeGreaterThan(0);
    expect(probed.kernels).toBe(true);
    const p = probed.addon.deviceProperties(0);
    expect(p.name.length).toBeGreaterThan(0);
    expect(p.computeCapability).toMatch(/^\d+\.\d+$/);
    expect(p.driverVersion).toBeGreaterThanOrEqual(p.runtimeVersion - 999); // minor-version compatibility
  });
});

describe.runIf(probed.ok)('device memory', () => {
  const addon = (probed as Extract<KernelsCuda.ProbeResult, { ok: true }>).addon;

  it('round-trips random bytes at random offsets: sync, async, device to device, memset', async () => {
    const n = randInt(1, 1 << 20);
    const off = randInt(0, 4096);
    const bytes = Uint8Array.from({ length: n }, () => randInt(0, 255));
    const a = addon.malloc(0, off + n);
    const b = addon.malloc(0, n);
    addon.copyFromHost(a, off, bytes);
    const sync = new Uint8Array(n);
    addon.copyToHost(a, off, sync);
    expectSameBytes(sync, bytes, 'copyToHost');
    addon.copyDeviceToDevice(b, 0, a, off, n);
    const back = await addon.copyToHostAsync(b, 0, new Uint8Array(n));
    expectSameBytes(back, bytes, 'copyDeviceToDevice + copyToHostAsync');
    const value = randInt(0, 255);
    const k = randInt(1, n);
    addon.memset(b, 0, value, k);
    const after = new Uint8Array(n);
    addon.copyToHost(b, 0, after);
    expect(after.subarray(0, k).every((x) => x === value)).toBe(true);
    expectSameBytes(after.subarray(k), bytes.subarray(k), 'bytes past the memset');
    addon.free(a);
    addon.free(b);
  });

  it('lets the host reuse a source buffer as soon as copyFromHost returns (staged and direct sizes)', () => {
    for (const n of [randInt(1, 65535), 65536, randInt(65537, 8 << 20)]) {
      const host = new Uint8Array(n);
      const handles: bigint[] = [];
      const sent: Uint8Array[] = [];
      for (let k = 0; k < 4; k++) {
        for (let i = 0; i < n; i++) host[i] = (i * 31 + k * 101 + n) & 255;
        const h = addon.malloc(0, n);
        addon.copyFromHost(h, 0, host); // host is overwritten right after: must not matter
        handles.push(h);
        sent.push(host.slice());
      }
      handles.forEach((h, k) => {
        const back = new Uint8Array(n);
        addon.copyToHost(h, 0, back);
        expectSameBytes(back, sent[k], `size ${n}, copy ${k}`);
        addon.free(h);
      });
    }
  });

  it('reuses freed blocks of the same size class and gives cached memory back on emptyCache', () => {
    const before = addon.memoryStats(0);
    const size = randInt(1 << 20, 8 << 20);
    const h1 = addon.malloc(0, size);
    addon.free(h1);
    const h2 = addon.malloc(0, size);
    const mid = addon.memoryStats(0);
    expect(mid.cacheHits).toBe(before.cacheHits + 1);
    expect(mid.liveBytes).toBe(before.liveBytes + size);
    addon.free(h2);
    expect(addon.memoryStats(0).liveBytes).toBe(before.liveBytes);
    expect(addon.emptyCache(0)).toBeGreaterThanOrEqual(size);
    expect(addon.memoryStats(0).cachedBytes).toBe(0);
  });

  it('rejects stale handles and out-of-range copies with JS errors, then keeps working', () => {
    const n = randInt(16, 4096);
    const h = addon.malloc(0, n);
    expect(() => addon.copyFromHost(h, 1, new Uint8Array(n))).toThrow(RangeError);
    expect(() => addon.copyToHost(h, n + 1, new Uint8Array(0))).toThrow(RangeError);
    addon.free(h);
    expect(() => addon.copyToHost(h, 0, new Uint8Array(1))).toThrow(/not a live allocation/);
    expect(() => addon.free(h)).toThrow(RangeError);
    const ok = addon.malloc(0, n);
    addon.free(ok);
  });

  it('turns out-of-memory into a catchable error after emptying the cache, and recovers', () => {
    const huge = 2 ** 50; // 1 PiB: more than any GPU
    let code = '';
    try {
      addon.malloc(0, huge);
    } catch (err) {
      code = (err as KernelsCuda.SscanCudaError).code;
      expect((err as KernelsCuda.SscanCudaError).cudaError).toBe('cudaErrorMemoryAllocation');
    }
    expect(code).toBe('ERR_SSCAN_OUT_OF_MEMORY');
    expect(addon.memoryStats(0).oomRetries).toBeGreaterThan(0);
    const h = addon.malloc(0, 1024);
    addon.free(h);
  });
});

/** Independent float64 reference: real A, constant or variable B/C, D, z, deltaBias, softplus. */
function scanReference(p: ScanProblem): { out: Float64Array; last: Float64Array } {
  const { batch: Bt, dim: D, seqlen: L, dstate: N, groups: G } = p;
  const out = new Float64Array(Bt * D * L);
  const last = new Float64Array(Bt * D * N);
  for (let b = 0; b < Bt; b++)
    for (let d = 0; d < D; d++) {
      const g = Math.floor(d / (D / G));
      const h = new Float64Array(N);
      for (let t = 0; t < L; t++) {
        const i = (b * D + d) * L + t;
        let dt = p.delta[i] + p.deltaBias[d];
        dt = dt > 20 ? dt : Math.log1p(Math.exp(dt));
        let y = 0;
        for (let n = 0; n < N; n++) {
          const Bv = p.varB ? p.B[((b * G + g) * N + n) * L + t] : p.B[d * N + n];
          const Cv = p.varB ? p.C[((b * G + g) * N + n) * L + t] : p.C[d * N + n];
          h[n] = Math.exp(dt * p.A[d * N + n]) * h[n] + dt * Bv * p.u[i];
          y += Cv * h[n];
        }
        const o = y + p.D[d] * p.u[i];
        const z = p.z[i];
        out[i] = o * (z / (1 + Math.exp(-z)));
      }
      for (let n = 0; n < N; n++) last[(b * D + d) * N + n] = h[n];
    }
  return { out, last };
}

interface ScanProblem {
  batch: number;
  dim: number;
  seqlen: number;
  dstate: number;
  groups: number;
  varB: boolean;
  u: Float32Array;
  delta: Float32Array;
  A: Float32Array;
  B: Float32Array;
  C: Float32Array;
  D: Float32Array;
  z: Float32Array;
  deltaBias: Float32Array;
}

function randomProblem(): ScanProblem {
  const groups = randInt(1, 2);
  const dim = groups * randInt(1, 4);
  const batch = randInt(1, 3);
  const seqlen = randInt(1, 300);
  const dstate = randInt(1, 16);
  const varB = Math.random() < 0.5;
  const x = batch * dim * seqlen;
  const bc = varB ? batch * groups * dstate * seqlen : dim * dstate;
  return {
    batch,
    dim,
    seqlen,
    dstate,
    groups,
    varB,
    u: randn(x),
    delta: randn(x, 0.5),
    A: Float32Array.from(randn(dim * dstate), (v) => -Math.exp(0.5 * v)), // negative: a stable recurrence
    B: randn(bc),
    C: randn(bc),
    D: randn(dim),
    z: randn(x),
    deltaBias: randn(dim, 0.1),
  };
}

describe.runIf(probed.ok)('selective scan kernels, float32', () => {
  const addon = (probed as Extract<KernelsCuda.ProbeResult, { ok: true }>).addon;
  const upload = (a: Float32Array) => {
    const h = addon.malloc(0, a.byteLength);
    addon.copyFromHost(h, 0, a);
    return h;
  };
  const download = (h: bigint, n: number) => {
    const a = new Float32Array(n);
    addon.copyToHost(h, 0, a);
    return a;
  };
  const meta = (p: ScanProblem, seqlen = p.seqlen) => {
    const m = new Float64Array(addon.layout.meta.length);
    const set = (k: string, v: number) => {
      m[addon.layout.meta.indexOf(k)] = v;
    };
    set('batch', p.batch);
    set('dim', p.dim);
    set('seqlen', seqlen);
    set('dstate', p.dstate);
    set('groups', p.varB ? p.groups : 1);
    set('variableB', Number(p.varB));
    set('variableC', Number(p.varB));
    set('deltaSoftplus', 1);
    return m;
  };
  const pack = (names: readonly string[], slots: Record<string, bigint>) => {
    const b = new BigInt64Array(2 * names.length);
    for (const [k, h] of Object.entries(slots)) {
      const i = names.indexOf(k);
      if (i < 0) throw new Error(`no slot ${k}`);
      b[2 * i] = h;
    }
    return b;
  };

  // float32 recurrences over up to 300 steps: per-step rounding ~6e-8, amplified by |C·h|
  // sums of a few tens of terms; 2e-3 relative + 2e-4 absolute leaves an order of magnitude.
  const close = (got: Float32Array, want: Float64Array) => {
    let worst = 0;
    for (let i = 0; i < want.length; i++)
      worst = Math.max(worst, Math.abs(got[i] - want[i]) - 2e-3 * Math.abs(want[i]));
    return worst;
  };

  it('forward matches the float64 formula, with lastState (repeated on fresh problems)', () => {
    for (let rep = 0; rep < 5; rep++) {
      const p = randomProblem();
      const h = {
        u: upload(p.u),
        delta: upload(p.delta),
        A: upload(p.A),
        B: upload(p.B),
        C: upload(p.C),
        D: upload(p.D),
        z: upload(p.z),
        deltaBias: upload(p.deltaBias),
        out: addon.malloc(0, p.u.byteLength),
        lastState: addon.malloc(0, p.batch * p.dim * p.dstate * 4),
      };
      addon.selectiveScanFwd(0, meta(p), pack(addon.layout.fwd, h));
      const want = scanReference(p);
      expect(
        close(download(h.out, p.u.length), want.out),
        `out, problem ${JSON.stringify({ ...p, u: 0, delta: 0, A: 0, B: 0, C: 0, D: 0, z: 0, deltaBias: 0 })}`,
      ).toBeLessThan(2e-4);
      expect(close(download(h.lastState, want.last.length), want.last), 'lastState').toBeLessThan(2e-4);
      for (const v of Object.values(h)) addon.free(v);
    }
  });

  it('decode steps reproduce the forward over a sequence (constant B and C)', () => {
    const p = { ...randomProblem(), varB: false, groups: 1 };
    p.B = randn(p.dim * p.dstate);
    p.C = randn(p.dim * p.dstate);
    p.seqlen = Math.min(p.seqlen, 24);
    const { batch, dim, seqlen, dstate } = p;
    p.u = p.u.subarray(0, batch * dim * seqlen);
    p.delta = p.delta.subarray(0, batch * dim * seqlen);
    p.z = p.z.subarray(0, batch * dim * seqlen);
    const want = scanReference(p);
    const common = {
      A: upload(p.A),
      B: upload(p.B),
      C: upload(p.C),
      D: upload(p.D),
      deltaBias: upload(p.deltaBias),
    };
    const state = addon.malloc(0, batch * dim * dstate * 4);
    addon.memset(state, 0, 0, batch * dim * dstate * 4);
    const got = new Float64Array(batch * dim * seqlen);
    for (let t = 0; t < seqlen; t++) {
      const col = (a: Float32Array) =>
        Float32Array.from({ length: batch * dim }, (_, i) => a[i * seqlen + t]);
      const x = upload(col(p.u));
      const dt = upload(col(p.delta));
      const z = upload(col(p.z));
      const out = addon.malloc(0, batch * dim * 4);
      addon.selectiveScanStep(
        0,
        meta(p, 1),
        pack(addon.layout.step, { ...common, x, delta: dt, z, state, out }),
      );
      download(out, batch * dim).forEach((v, i) => {
        got[i * seqlen + t] = v;
      });
      for (const h of [x, dt, z, out]) addon.free(h);
    }
    expect(close(Float32Array.from(got), want.out)).toBeLessThan(2e-4);
    expect(close(download(state, batch * dim * dstate), want.last)).toBeLessThan(2e-4);
    for (const h of [...Object.values(common), state]) addon.free(h);
  });
});
