/**
 * The synchronous pool: every unit runs exactly once and workers take part; a throwing kernel,
 * on a worker or on the caller, surfaces as an Error on the caller and leaves the pool usable;
 * and, through the real tsup bundle (ESM and CJS), kernels shipped as source work and an idle
 * pool does not keep the process alive.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Claim, cpuThreadOptions, setCpuThreadOptions, ThreadPool, threadsFor } from '../thread_pool';

interface CountJob {
  /** How often each unit ran. */
  counts: Int32Array;
  /** Units run by pool workers (not the caller). */
  byWorkers: Int32Array;
  /** Milliseconds to sleep per unit, so that every thread gets some. */
  sleepMs: number;
  /** 'worker' | 'caller' | '' : who throws. */
  failOn: string;
}

// Self-contained, like the real kernels: it only uses its arguments and globals.
function countKernel(job: CountJob, claim: Claim, lib: { twice: (x: number) => number }): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const inWorker = (globalThis as { sscanWorkerIndex?: number }).sscanWorkerIndex !== undefined;
  for (let unit = claim(); unit >= 0; unit = claim()) {
    if (job.failOn === (inWorker ? 'worker' : 'caller'))
      throw new RangeError(`unit ${unit} failed on purpose`);
    Atomics.add(job.counts, unit, lib.twice(1) / 2);
    if (inWorker) Atomics.add(job.byWorkers, 0, 1);
    Atomics.wait(nap, 0, 0, job.sleepMs);
  }
}

function twice(x: number): number {
  return 2 * x;
}

function countJob(units: number, failOn = ''): CountJob {
  return {
    counts: new Int32Array(new SharedArrayBuffer(4 * units)),
    byWorkers: new Int32Array(new SharedArrayBuffer(4)),
    sleepMs: 2,
    failOn,
  };
}

describe('ThreadPool', () => {
  const pool = new ThreadPool(3);
  afterAll(() => pool.close());

  it('runs every unit exactly once, with workers taking part', () => {
    expect(pool.warmUp()).toBe(2);
    const job = countJob(40);
    pool.run(countKernel, job, 40, { twice }, 3);
    expect(Array.from(job.counts)).toEqual(new Array(40).fill(1));
    expect(job.byWorkers[0]).toBeGreaterThan(0);
    expect(job.byWorkers[0]).toBeLessThan(40);
    expect(pool.lastWorkerUnits).toBe(job.byWorkers[0]);
  });

  it('runs inline when one thread is asked for', () => {
    const job = countJob(5);
    pool.run(countKernel, { ...job, sleepMs: 0 }, 5, { twice }, 1);
    expect(Array.from(job.counts)).toEqual([1, 1, 1, 1, 1]);
    expect(job.byWorkers[0]).toBe(0);
  });

  it('a job with memory that is not shared runs on the caller alone (a worker would write to a copy)', () => {
    const job = { ...countJob(12), counts: new Int32Array(12) };
    pool.run(countKernel, job, 12, { twice }, 3);
    expect(Array.from(job.counts)).toEqual(new Array(12).fill(1));
    expect(job.byWorkers[0]).toBe(0);
  });

  it('a worker that throws surfaces as an Error on the caller, and the pool stays usable', () => {
    expect(() => pool.run(countKernel, countJob(40, 'worker'), 40, { twice }, 3)).toThrow(
      /sscan CPU worker failed: unit \d+ failed on purpose/,
    );
    const job = countJob(20);
    pool.run(countKernel, job, 20, { twice }, 3);
    expect(Array.from(job.counts)).toEqual(new Array(20).fill(1));
  });

  it('a caller that throws rethrows its own error after the workers have left', () => {
    const job = countJob(40, 'caller');
    expect(() => pool.run(countKernel, job, 40, { twice }, 3)).toThrow(RangeError);
    // No unit ran twice, and nothing is still running: the counts do not move any more.
    const snapshot = Array.from(job.counts);
    expect(snapshot.every((c) => c <= 1)).toBe(true);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    expect(Array.from(job.counts)).toEqual(snapshot);
  });

  it('a kernel whose source does not evaluate in a worker runs on the caller alone, and the pool says why', () => {
    const fresh = new ThreadPool(2);
    try {
      fresh.warmUp();
      const bound = countKernel.bind(null); // "function () { [native code] }": no source to ship
      const job = countJob(30);
      expect(() => fresh.run(bound, job, 30, { twice }, 2)).not.toThrow();
      expect(Array.from(job.counts)).toEqual(new Array(30).fill(1));
      expect(job.byWorkers[0]).toBe(0);
      expect(fresh.disabledReason).toMatch(/cannot evaluate the kernel source/);
      const next = countJob(10); // and from now on, inline without asking the workers
      fresh.run(countKernel, next, 10, { twice }, 2);
      expect(Array.from(next.counts)).toEqual(new Array(10).fill(1));
      expect(next.byWorkers[0]).toBe(0);
    } finally {
      void fresh.close();
    }
  });
});

describe('thread count', () => {
  it('small work stays on the calling thread; big work uses every thread', () => {
    const prev = setCpuThreadOptions({ threads: 4, minWorkPerThread: 1000 });
    try {
      expect(threadsFor(10)).toBe(1);
      expect(threadsFor(2500)).toBe(2);
      expect(threadsFor(1e9)).toBe(4);
      expect(cpuThreadOptions().threads).toBe(4);
    } finally {
      setCpuThreadOptions(prev);
    }
  });
});

describe('tsup bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sscan-pool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kernels shipped as source work from the ESM and CJS bundles, and idle workers let the process exit', async () => {
    const { build } = await import('tsup');
    // Like @sscan/core: "type": "module", so tsup writes entry.js (ESM) and entry.cjs (CJS).
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    const src = resolve(__dirname, '..');
    // Multi-threaded forward against single-threaded, in the bundled code; then just return.
    writeFileSync(
      join(dir, 'entry.ts'),
      `import { selectiveScanCpu } from ${JSON.stringify(join(src, 'kernels/SelectiveScan'))};
import { cpuPool, cpuThreadOptions, setCpuThreadOptions } from ${JSON.stringify(join(src, 'thread_pool'))};
const envThreads = cpuThreadOptions().threads;
import { makeCase, rawCopy, rng } from ${JSON.stringify(join(src, '__tests__/scan_test_utils'))};
const spec = { batch: 2, dim: 48, seqlen: 1500, dstate: 8, complex: true, z: true, D: true, lastState: true };
const one = makeCase(spec, rng(7));
const two = makeCase(spec, rng(7));
setCpuThreadOptions({ threads: 1 });
selectiveScanCpu(one.args);
setCpuThreadOptions({ threads: 2, minWorkPerThread: 0 });
cpuPool().warmUp();
selectiveScanCpu(two.args);
selectiveScanCpu(two.args);
const a = Buffer.from(rawCopy(one.args.out).buffer);
const b = Buffer.from(rawCopy(two.args.out).buffer);
console.log(JSON.stringify({ same: a.equals(b), workerUnits: cpuPool().lastWorkerUnits, envThreads }));
`,
    );
    await build({
      entry: { entry: join(dir, 'entry.ts') },
      format: ['esm', 'cjs'],
      outDir: dir,
      platform: 'node',
      target: 'node20',
      silent: true,
      config: false,
    });
    for (const file of ['entry.js', 'entry.cjs']) {
      const started = Date.now();
      const env = { ...process.env, SSCAN_CPU_THREADS: '3' };
      const r = spawnSync(process.execPath, [join(dir, file)], { encoding: 'utf8', timeout: 30_000, env });
      expect(r.error, `${file} exits by itself`).toBeUndefined();
      expect(r.status, `${file}: ${r.stderr}`).toBe(0);
      const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(result, file).toMatchObject({ same: true, envThreads: 3 }); // SSCAN_CPU_THREADS is honoured
      expect(result.workerUnits, file).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(30_000);
    }
  });
});
