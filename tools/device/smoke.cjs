#!/usr/bin/env node
// The quickest proof that the CUDA addon works on a GPU machine (seconds): probe, allocate,
// copy both ways, run the forward on a tiny random problem and compare it with a float64
// loop written here, exercise the error paths that must not kill the process. Prints as it
// goes so a partial log still says how far it got.
//
//   node tools/device/smoke.cjs
'use strict';

const { probe } = require('../../packages/kernels-cuda/index.cjs');

const r = probe();
console.log('probe:', JSON.stringify(r.ok ? { ok: true, kernels: r.kernels, report: r.report } : r, null, 1));
if (!r.ok) process.exit(1);
const { addon } = r;
console.log('buildInfo:', JSON.stringify(addon.buildInfo));
console.log('device 0:', JSON.stringify(addon.deviceProperties(0)));

const randn = (n, s = 1) =>
  Float32Array.from(
    { length: n },
    () => s * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()),
  );
const up = (a) => {
  const h = addon.malloc(0, a.byteLength);
  addon.copyFromHost(h, 0, a);
  return h;
};
const down = (h, n) => {
  const a = new Float32Array(n);
  addon.copyToHost(h, 0, a);
  return a;
};

// Copies.
const v = randn(1000);
const hv = up(v);
const back = down(hv, v.length);
console.log(
  'copy round trip equal:',
  back.every((x, i) => x === v[i]),
);
addon.free(hv);

// Forward on a tiny problem: batch 2, dim 3, seqlen 17, dstate 4, constant B/C, D, z, softplus.
const [Bt, D, L, N] = [2, 3, 17, 4];
const u = randn(Bt * D * L);
const dl = randn(Bt * D * L, 0.5);
const A = Float32Array.from(randn(D * N), (x) => -Math.exp(0.5 * x));
const B = randn(D * N);
const C = randn(D * N);
const Dv = randn(D);
const z = randn(Bt * D * L);
const want = new Float64Array(Bt * D * L);
for (let b = 0; b < Bt; b++)
  for (let d = 0; d < D; d++) {
    const h = new Float64Array(N);
    for (let t = 0; t < L; t++) {
      const i = (b * D + d) * L + t;
      const dt = dl[i] > 20 ? dl[i] : Math.log1p(Math.exp(dl[i]));
      let y = 0;
      for (let n = 0; n < N; n++) {
        h[n] = Math.exp(dt * A[d * N + n]) * h[n] + dt * B[d * N + n] * u[i];
        y += C[d * N + n] * h[n];
      }
      want[i] = (y + Dv[d] * u[i]) * (z[i] / (1 + Math.exp(-z[i])));
    }
  }
const handles = {
  u: up(u),
  delta: up(dl),
  A: up(A),
  B: up(B),
  C: up(C),
  D: up(Dv),
  z: up(z),
  out: addon.malloc(0, u.byteLength),
};
const meta = new Float64Array(addon.layout.meta.length);
for (const [k, val] of Object.entries({
  batch: Bt,
  dim: D,
  seqlen: L,
  dstate: N,
  groups: 1,
  deltaSoftplus: 1,
}))
  meta[addon.layout.meta.indexOf(k)] = val;
const buffers = new BigInt64Array(2 * addon.layout.fwd.length);
for (const [k, h] of Object.entries(handles)) buffers[2 * addon.layout.fwd.indexOf(k)] = h;
const t0 = process.hrtime.bigint();
addon.selectiveScanFwd(0, meta, buffers);
const got = down(handles.out, u.length);
console.log(`forward ran in ${Number(process.hrtime.bigint() - t0) / 1e6} ms (first launch included)`);
let worst = 0;
for (let i = 0; i < want.length; i++)
  worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-3 + Math.abs(want[i])));
console.log('forward out[0..5]:', Array.from(got.subarray(0, 6), (x) => x.toFixed(5)).join(' '));
console.log('reference [0..5]:', Array.from(want.subarray(0, 6), (x) => x.toFixed(5)).join(' '));
console.log(`forward worst relative error: ${worst.toExponential(2)} ${worst < 2e-3 ? 'OK' : 'TOO LARGE'}`);
for (const h of Object.values(handles)) addon.free(h);

// Error paths: each must be a JS error, and the process must keep working.
for (const [what, fn] of [
  ['stale handle', () => addon.free(handles.u)],
  ['out of memory (1 PiB)', () => addon.malloc(0, 2 ** 50)],
  ['copy past the end', () => addon.copyFromHost(addon.malloc(0, 8), 4, new Uint8Array(8))],
]) {
  try {
    fn();
    console.log(`${what}: NO ERROR (wrong)`);
  } catch (err) {
    console.log(`${what}: ${err.constructor.name} ${err.code} ${err.cudaError ?? ''} — ${err.message}`);
  }
}
addon
  .copyToHostAsync(up(v), 0, new Float32Array(v.length))
  .then((a) => {
    console.log(
      'async copy equal:',
      a.every((x, i) => x === v[i]),
    );
    console.log('memoryStats:', JSON.stringify(addon.memoryStats(0)));
    console.log('SMOKE DONE');
  })
  .catch((err) => {
    console.log('async copy failed:', err.message);
    process.exitCode = 1;
  });
