#!/usr/bin/env node
/**
 * Throughput of the pure-TypeScript CPU scan kernels, in state updates per second
 * (batch·dim·seqlen·dstate per call), forward and backward, through the same tsup bundling as
 * the published package (so what is timed is what users run, worker threads included).
 *
 *   node tools/bench-cpu-scan.mjs [--threads N] [--batch 1 --dim 1536 --seqlen 512 --dstate 16]
 *                                  [--dtype float32] [--complex] [--reps 5] [--emit bench.mjs]
 *
 * Default shape: the acceptance shape (variable B/C, D, z, deltaBias, softplus). Napkin math: a
 * single-threaded loop of Math.exp-based updates does ~1e8/s on a 2-core dev VM, so the forward
 * should reach about that per thread; the backward recomputes the forward and adds a reverse
 * sweep, so ~2-2.5x the forward's time is expected. Reports the best of --reps runs (wall clock)
 * and the process CPU time of that run (threads summed), so a loaded machine shows up as
 * cpu ≈ wall × threads not holding.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    threads: { type: 'string' },
    batch: { type: 'string', default: '1' },
    dim: { type: 'string', default: '1536' },
    seqlen: { type: 'string', default: '512' },
    dstate: { type: 'string', default: '16' },
    dtype: { type: 'string', default: 'float32' },
    complex: { type: 'boolean', default: false },
    reps: { type: 'string', default: '5' },
    // Write the self-contained bundled benchmark to this file instead of running it (to time
    // it on another machine that has node but not this repository's toolchain).
    emit: { type: 'string' },
  },
});

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cpu = join(root, 'packages/core/src/cpu');
const dir = mkdtempSync(join(tmpdir(), 'sscan-bench-'));
const spec = {
  batch: +opt.batch,
  dim: +opt.dim,
  seqlen: +opt.seqlen,
  dstate: +opt.dstate,
  dtype: opt.dtype,
  complex: opt.complex,
  D: true,
  z: true,
  deltaBias: true,
  deltaSoftplus: true,
};
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
writeFileSync(
  join(dir, 'bench.ts'),
  `import { selectiveScanCpu } from ${JSON.stringify(join(cpu, 'kernels/SelectiveScan'))};
import { selectiveScanBackwardCpu } from ${JSON.stringify(join(cpu, 'kernels/SelectiveScanBackward'))};
import { cpuPool, cpuThreadOptions } from ${JSON.stringify(join(cpu, 'thread_pool'))};
import { emptyBuffer, makeBuffer, makeCase, rng } from ${JSON.stringify(join(cpu, '__tests__/scan_test_utils'))};
const spec = ${JSON.stringify(spec)};
const reps = ${+opt.reps};
const c = makeCase(spec, rng(1));
const a = c.args;
const like = (x) => (x ? emptyBuffer(x.dtype, x.shape) : null);
const g = { ...a, saved: null, gradOut: makeBuffer(a.out.dtype, a.out.shape, rng(2)).ref, gradLastState: null,
  du: like(a.u), ddelta: like(a.delta), dA: like(a.A), dB: like(a.B), dC: like(a.C), dD: like(a.D), dz: like(a.z),
  dDeltaBias: like(a.deltaBias), dInitialState: null, deterministic: true };
const threads = cpuThreadOptions().threads;
if (threads > 1) cpuPool().warmUp();
const updates = spec.batch * spec.dim * spec.seqlen * spec.dstate;
function best(fn) {
  fn(); // JIT warm-up, and ships the kernel to the workers
  let bestWall = Infinity, cpuOfBest = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    fn();
    const wall = performance.now() - t0, c1 = process.cpuUsage(c0);
    if (wall < bestWall) { bestWall = wall; cpuOfBest = (c1.user + c1.system) / 1000; }
  }
  return { ms: bestWall, cpuMs: cpuOfBest, perSecond: updates / (bestWall / 1000) };
}
const fwd = best(() => selectiveScanCpu(a));
const bwd = best(() => selectiveScanBackwardCpu(g));
const line = (name, r) => \`\${name.padEnd(8)} \${r.ms.toFixed(1).padStart(8)} ms  \${r.perSecond.toExponential(2)} updates/s  (cpu \${r.cpuMs.toFixed(0)} ms)\`;
console.log(\`shape \${JSON.stringify(spec)}, threads \${threads}, best of \${reps}\`);
console.log(line('forward', fwd));
console.log(line('backward', bwd));
console.log(\`backward / forward: \${(bwd.ms / fwd.ms).toFixed(2)}\`);
if (threads > 1) console.log(\`units run by workers in the last backward: \${cpuPool().lastWorkerUnits}\`);
`,
);
try {
  const { build } = await import('tsup');
  await build({
    entry: { bench: join(dir, 'bench.ts') },
    format: ['esm'],
    outDir: dir,
    platform: 'node',
    target: 'node20',
    silent: true,
    config: false,
  });
  if (opt.emit) {
    copyFileSync(join(dir, 'bench.js'), opt.emit);
    console.log(`wrote ${opt.emit}: run it with node (threads: SSCAN_CPU_THREADS)`);
  } else {
    const env = { ...process.env };
    if (opt.threads) env.SSCAN_CPU_THREADS = opt.threads;
    const r = spawnSync(process.execPath, [join(dir, 'bench.js')], { stdio: 'inherit', env });
    process.exitCode = r.status ?? 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
