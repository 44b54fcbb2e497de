#!/usr/bin/env node
// Times the addon on a GPU: host<->device copies, the caching allocator, the JS->kernel call
// overhead, and the selective-scan forward/backward at Mamba-like sizes, each with napkin
// math against the card's memory bandwidth (the scan is memory-bound: every input is read
// once, every output written once).
//
//   node bench/scan_bench.cjs [--json out.json] [--peak-gbs 4800]
// --peak-gbs: the card's HBM bandwidth in GB/s (H200: 4800), for the "% of peak" column.
'use strict';

const { performance } = require('node:perf_hooks');
const fs = require('node:fs');
const { probe } = require('../index.cjs');

const args = process.argv.slice(2);
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : null;
const peakGBs = args.includes('--peak-gbs') ? Number(args[args.indexOf('--peak-gbs') + 1]) : 4800;

const r = probe();
if (!r.ok) {
  console.error(`bench: the CUDA addon cannot be used: ${r.reason}\n  ${r.hint}`);
  process.exit(1);
}
const { addon } = r;
const dev = 0;
const props = addon.deviceProperties(dev);
const results = [];
const line = (name, ms, bytes, extra = '') => {
  const gbs = bytes > 0 ? bytes / (ms * 1e-3) / 1e9 : 0;
  const row = {
    name,
    ms: Number(ms.toFixed(4)),
    GBs: Number(gbs.toFixed(1)),
    pctPeak: bytes > 0 ? Number(((100 * gbs) / peakGBs).toFixed(1)) : null,
    extra,
  };
  results.push(row);
  console.log(
    `${name.padEnd(58)} ${ms.toFixed(4).padStart(10)} ms ${bytes > 0 ? `${gbs.toFixed(1).padStart(8)} GB/s ${row.pctPeak.toFixed(1).padStart(5)}%` : ''.padStart(20)} ${extra}`,
  );
};

/** Median of `reps` timings of fn (each ends in a synchronize), after `warm` untimed runs. */
function time(fn, reps = 20, warm = 3) {
  for (let i = 0; i < warm; i++) fn();
  addon.synchronize(dev);
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    addon.synchronize(dev);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

console.log(
  `device: ${props.name} (sm_${props.major}${props.minor}, ${(props.totalMemory / 2 ** 30).toFixed(0)} GiB), driver ${props.driverVersion}, runtime ${props.runtimeVersion}, built for ${addon.buildInfo.cudaArchitectures}`,
);
console.log(`kernels: ${addon.buildInfo.kernelSources}; peak assumed ${peakGBs} GB/s`);

// ---- copies ----
{
  const n = 256 << 20;
  const host = new Uint8Array(n);
  for (let i = 0; i < n; i += 4096) host[i] = i & 255;
  const h = addon.malloc(dev, n);
  const h2 = addon.malloc(dev, n);
  line(
    'copyFromHost 256 MiB (pageable)',
    time(() => addon.copyFromHost(h, 0, host), 5, 1),
    n,
  );
  line(
    'copyToHost 256 MiB (pageable)',
    time(() => addon.copyToHost(h, 0, host), 5, 1),
    n,
  );
  line(
    'copyDeviceToDevice 256 MiB (read + write)',
    time(() => addon.copyDeviceToDevice(h2, 0, h, 0, n), 10, 2),
    2 * n,
  );
  addon.free(h);
  addon.free(h2);
}

// ---- allocator and call overhead ----
{
  const k = 10000;
  const t0 = performance.now();
  for (let i = 0; i < k; i++) addon.free(addon.malloc(dev, 1 << 20));
  line('malloc+free 1 MiB, cached (per pair)', (performance.now() - t0) / k, 0);
}

function bf16(f32) {
  const u32 = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
  return Uint16Array.from(u32, (v) => v >>> 16);
}
function randn(n, scale = 1) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++)
    a[i] = scale * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return a;
}

function scanCase({ batch, dim, seqlen, dstate, dtype }) {
  const elem = dtype === 0 ? 4 : 2;
  const x = batch * dim * seqlen;
  const bc = batch * 1 * dstate * seqlen;
  const up = (f32, asDtype) => {
    const data = asDtype && dtype !== 0 ? bf16(f32) : f32;
    const h = addon.malloc(dev, data.byteLength);
    addon.copyFromHost(h, 0, data);
    return h;
  };
  const h = {
    u: up(randn(x), true),
    delta: up(randn(x, 0.5), true),
    A: up(
      Float32Array.from(randn(dim * dstate), (v) => -Math.exp(0.5 * v)),
      false,
    ),
    B: up(randn(bc), true),
    C: up(randn(bc), true),
    D: up(randn(dim), false),
    z: up(randn(x), true),
    deltaBias: up(randn(dim, 0.1), false),
  };
  const meta = new Float64Array(addon.layout.meta.length);
  const set = (k, v) => {
    meta[addon.layout.meta.indexOf(k)] = v;
  };
  for (const [k, v] of Object.entries({
    batch,
    dim,
    seqlen,
    dstate,
    groups: 1,
    dtype,
    variableB: 1,
    variableC: 1,
    deltaSoftplus: 1,
  })) {
    set(k, v);
  }
  const pack = (names, slots) => {
    const b = new BigInt64Array(2 * names.length);
    for (const [k, v] of Object.entries(slots)) b[2 * names.indexOf(k)] = v;
    return b;
  };
  const out = addon.malloc(dev, x * elem);
  const savedBytes = addon.savedBytes(meta);
  const saved = savedBytes > 0 ? addon.malloc(dev, savedBytes) : 0n;
  const fwdBuf = pack(addon.layout.fwd, { ...h, out, ...(saved ? { saved } : {}) });
  const label = `${dtype === 0 ? 'f32 ' : 'bf16'} b${batch} d${dim} l${seqlen} n${dstate}`;
  // Bytes the forward must move at least: u, delta, z read, out written; B, C read; small A, D.
  const fwdBytes = 4 * x * elem + 2 * bc * elem;
  line(
    `fwd  ${label}`,
    time(() => addon.selectiveScanFwd(dev, meta, fwdBuf)),
    fwdBytes,
    savedBytes ? `saved ${(savedBytes / 2 ** 20).toFixed(1)} MiB` : '',
  );

  const grads = {
    du: x * elem,
    ddelta: x * elem,
    dz: x * elem,
    dB: bc * elem,
    dC: bc * elem,
    dA: dim * dstate * 4,
    dD: dim * 4,
    dDeltaBias: dim * 4,
  };
  const gh = Object.fromEntries(Object.entries(grads).map(([k, n]) => [k, addon.malloc(dev, n)]));
  const gradOut = up(randn(x), true);
  const bwdBuf = pack(addon.layout.bwd, { ...h, ...gh, gradOut, ...(saved ? { saved } : {}) });
  // Backward: reads the forward's inputs and gradOut, writes du, ddelta, dz, dB, dC.
  const bwdBytes = 4 * x * elem + 2 * bc * elem + 3 * x * elem + 2 * bc * elem;
  line(
    `bwd  ${label}`,
    time(() => addon.selectiveScanBwd(dev, meta, bwdBuf), 10, 2),
    bwdBytes,
  );
  for (const v of [...Object.values(h), ...Object.values(gh), gradOut, out]) addon.free(v);
  if (saved) addon.free(saved);
}

{
  // Per-call cost of the JS -> native -> launch path on a tiny problem (launch-bound).
  const t0 = performance.now();
  const n = 2000;
  const tiny = { batch: 1, dim: 1, seqlen: 1, dstate: 1 };
  const h = ['u', 'delta', 'A', 'B', 'C', 'out'].reduce((o, k) => ({ ...o, [k]: addon.malloc(dev, 64) }), {});
  const meta = new Float64Array(addon.layout.meta.length);
  Object.entries({ ...tiny, groups: 1 }).forEach(([k, v]) => {
    meta[addon.layout.meta.indexOf(k)] = v;
  });
  const buf = new BigInt64Array(2 * addon.layout.fwd.length);
  for (const [k, v] of Object.entries(h)) buf[2 * addon.layout.fwd.indexOf(k)] = v;
  for (let i = 0; i < n; i++) addon.selectiveScanFwd(dev, meta, buf);
  const enqueue = (performance.now() - t0) / n;
  addon.synchronize(dev);
  line('fwd call overhead, 1x1x1x1 (enqueue only, per call)', enqueue, 0, `${n} calls`);
  for (const v of Object.values(h)) addon.free(v);
}

for (const dtype of [0, 2]) {
  for (const c of [
    { batch: 8, dim: 1536, seqlen: 2048, dstate: 16 },
    { batch: 2, dim: 2048, seqlen: 8192, dstate: 16 },
  ]) {
    try {
      scanCase({ ...c, dtype });
    } catch (err) {
      console.log(`scan ${JSON.stringify({ ...c, dtype })} failed: ${err.message}`);
      results.push({ name: `scan ${JSON.stringify(c)} dtype ${dtype}`, error: err.message });
    }
  }
}
const s = addon.memoryStats(dev);
console.log(
  `allocator: ${s.allocations} allocations, ${s.cacheHits} cache hits, ${s.deviceMallocs} cudaMallocs, peak live ${(s.peakLiveBytes / 2 ** 20).toFixed(0)} MiB`,
);
if (jsonPath)
  fs.writeFileSync(jsonPath, JSON.stringify({ device: props, buildInfo: addon.buildInfo, results }, null, 2));
