/**
 * A synchronous thread pool for the CPU kernels. The ops of the CPU backend are synchronous, so
 * the caller blocks in `Atomics.wait` (allowed on Node's main thread) while `worker_threads`
 * workers share the work; tensors are SharedArrayBuffers, so workers read and write them in place.
 *
 * How code reaches the workers: a worker cannot `import` our modules (under vitest they are
 * TypeScript transformed in memory; in the tsup bundle they are inlined), so a kernel is a
 * self-contained function whose source (`fn.toString()`) the worker evaluates. A kernel sees only
 * its arguments: the job (plain data and typed arrays over SharedArrayBuffers, which postMessage
 * shares rather than copies), `claim()` and a library of helpers (scan_math.ts), shipped as
 * source once per worker and evaluated together in one scope.
 *
 * Scheduling: the job is split into `units` by the caller; every participating thread, the
 * caller included, claims units from a shared counter until none are left. A unit's result
 * must not depend on which thread runs it; then results are bitwise the same for any number of
 * threads (the kernels guarantee this; the tests check it).
 *
 * Safety: the caller never waits for a worker that has not joined the job (it runs every unit
 * nobody claimed), so a worker that is slow to start, or failed to start, costs time, never a
 * hang. A worker that throws stops the job (no new units are handed out) and its error is
 * rethrown on the caller after every joined worker has left. Where workers cannot run our code
 * at all (no worker allowed, or code generation from strings disallowed), the pool says why once
 * (a process warning, `disabledReason`) and runs every job on the caller: slower, never wrong.
 * Workers are unref'ed: an idle pool never keeps the process alive. Not covered: a worker killed from outside while inside a job
 * (nothing in this package does that) would leave the caller waiting.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Next unit index to run, or -1 when none is left. */
export type Claim = () => number;
// biome-ignore lint/suspicious/noExplicitAny: kernels and helpers take typed jobs; the pool only ships them
type AnyFn = (...args: any[]) => any;
export type Kernel<Job, Lib> = (job: Job, claim: Claim, lib: Lib) => void;

/** Shared control words of a dispatch (Int32Array indices). */
const OPEN = 0; // generation of the dispatch workers may join, 0 when closed
const NEXT = 1; // next unclaimed unit
const UNITS = 2; // unit count
const ACTIVE = 3; // workers inside the current dispatch
const ABORT = 4; // 1 after an error: stop handing out units
const BY_WORKERS = 5; // units the workers claimed in the current dispatch (tests, benchmarks)
const READY = 6; // workers that answered warmUp()

/** Worker body, evaluated as a CommonJS script (`eval: true`); receives sources, never imports. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { ctl, port, index } = workerData;
// Lets a kernel (or a debugger) tell which pool thread it runs on; the caller thread has none.
globalThis.sscanWorkerIndex = index;
const kernels = new Map();
const libs = new Map();
const evalSource = (src) => (0, eval)(src);
function claim() {
  if (Atomics.load(ctl, ${ABORT}) !== 0) return -1;
  const unit = Atomics.add(ctl, ${NEXT}, 1);
  if (unit >= Atomics.load(ctl, ${UNITS})) return -1;
  Atomics.add(ctl, ${BY_WORKERS}, 1);
  return unit;
}
// Sources are evaluated even for a dispatch that is already over: the pool counts them as sent.
// A source that does not evaluate here (code generation from strings disallowed, say) is kept
// as the reason: the worker then declines every job, and the caller runs them alone.
class Unusable { constructor(reason) { this.reason = reason; } }
function define(map, id, source) {
  try {
    map.set(id, evalSource(source));
  } catch (err) {
    map.set(id, new Unusable(err instanceof Error ? err.message : String(err)));
  }
}
port.on('message', (msg) => {
  if (msg.ping) {
    Atomics.add(ctl, ${READY}, 1);
    Atomics.notify(ctl, ${READY});
    return;
  }
  if (msg.kernelSource) define(kernels, msg.kernelId, '(' + msg.kernelSource + ')');
  if (msg.libSource) define(libs, msg.libId, msg.libSource);
  Atomics.add(ctl, ${ACTIVE}, 1);
  try {
    if (Atomics.load(ctl, ${OPEN}) !== msg.gen) return; // too late: that dispatch is over
    const kernel = kernels.get(msg.kernelId);
    const lib = libs.get(msg.libId);
    const unusable = kernel instanceof Unusable ? kernel : lib instanceof Unusable ? lib : null;
    if (unusable) {
      port.postMessage({ gen: msg.gen, unusable: unusable.reason });
      return;
    }
    try {
      kernel(msg.job, claim, lib);
    } catch (err) {
      Atomics.store(ctl, ${ABORT}, 1);
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ gen: msg.gen, message: e.message, stack: e.stack });
    }
  } finally {
    if (Atomics.sub(ctl, ${ACTIVE}, 1) === 1) Atomics.notify(ctl, ${ACTIVE});
  }
});
`;

interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Kernel and library ids this worker has evaluated. */
  readonly known: Set<number>;
  dead: boolean;
}

/**
 * Whether every typed array of the job lives in a SharedArrayBuffer. postMessage copies any other
 * buffer, so a worker's writes to it would be lost: such a job runs on the caller alone.
 */
function sharesAllMemory(job: unknown): boolean {
  if (ArrayBuffer.isView(job)) return job.buffer instanceof SharedArrayBuffer;
  if (job === null || typeof job !== 'object') return true;
  for (const value of Object.values(job)) if (!sharesAllMemory(value)) return false;
  return true;
}

/** Source of an object of helpers: one scope holding every function, returning key → function. */
function librarySource(lib: Readonly<Record<string, AnyFn>>): string {
  const parts = Object.values(lib).map((fn) => fn.toString());
  const entries = Object.entries(lib).map(([key, fn]) => `${JSON.stringify(key)}: ${fn.name}`);
  return `(() => {\n${parts.join('\n')}\nreturn { ${entries.join(', ')} };\n})()`;
}

export class ThreadPool {
  /** Threads that run a job, the caller included. */
  readonly size: number;
  readonly #ctl = new Int32Array(new SharedArrayBuffer(8 * 4));
  readonly #workers: PoolWorker[] = [];
  readonly #ids = new Map<object, number>();
  #gen = 0;
  #disabled: string | null = null;

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
  }

  #id(thing: object): number {
    let id = this.#ids.get(thing);
    if (id === undefined) {
      id = this.#ids.size + 1;
      this.#ids.set(thing, id);
    }
    return id;
  }

  /** Why this pool runs everything on the calling thread, or null while its workers are usable. */
  get disabledReason(): string | null {
    return this.#disabled;
  }

  /** From here on every job runs on the calling thread; says so once, as a process warning. */
  #disable(reason: string): void {
    if (this.#disabled) return;
    this.#disabled = reason;
    process.emitWarning(`sscan: CPU worker threads are off, kernels run on one thread (${reason})`, {
      code: 'SSCAN_CPU_THREADS',
    });
  }

  #worker(i: number): PoolWorker | null {
    const existing = this.#workers[i];
    if (existing && !existing.dead) return existing;
    const { port1, port2 } = new MessageChannel();
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { ctl: this.#ctl, port: port2, index: i },
        transferList: [port2],
        name: `sscan-cpu-${i}`,
      });
    } catch (err) {
      // E.g. under the permission model without --allow-worker.
      this.#disable(`cannot start a worker: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
    const entry: PoolWorker = { worker, port: port1, known: new Set(), dead: false };
    // Seen only when the caller's event loop runs; until then a dead worker simply never joins.
    const markDead = () => {
      entry.dead = true;
    };
    worker.on('error', markDead);
    worker.on('exit', markDead);
    worker.unref();
    port1.unref();
    this.#workers[i] = entry;
    return entry;
  }

  /**
   * Runs `kernel(job, claim, lib)` on `threads` threads (the caller plus threads − 1 workers)
   * until every unit of [0, units) has been claimed and run; returns when all have finished.
   */
  run<Job, Lib extends Readonly<Record<string, AnyFn>>>(
    kernel: Kernel<Job, Lib>,
    job: Job,
    units: number,
    lib: Lib,
    threads: number,
  ): void {
    const helpers = Math.min(this.size, threads, units) - 1;
    if (helpers <= 0 || this.#disabled || !sharesAllMemory(job)) {
      let next = 0;
      kernel(job, () => (next < units ? next++ : -1), lib);
      return;
    }
    const ctl = this.#ctl;
    this.#gen = (this.#gen % 0x3fffffff) + 1;
    const gen = this.#gen;
    Atomics.store(ctl, NEXT, 0);
    Atomics.store(ctl, UNITS, units);
    Atomics.store(ctl, ABORT, 0);
    Atomics.store(ctl, BY_WORKERS, 0);
    Atomics.store(ctl, OPEN, gen);
    const kernelId = this.#id(kernel);
    const libId = this.#id(lib);
    const joined: PoolWorker[] = [];
    for (let i = 0; i < helpers; i++) {
      const w = this.#worker(i);
      if (!w) break;
      const msg: Record<string, unknown> = { gen, kernelId, libId, job };
      if (!w.known.has(kernelId)) msg.kernelSource = kernel.toString();
      if (!w.known.has(libId)) msg.libSource = librarySource(lib);
      w.port.postMessage(msg);
      w.known.add(kernelId);
      w.known.add(libId);
      joined.push(w);
    }
    const claim: Claim = () => {
      if (Atomics.load(ctl, ABORT) !== 0) return -1;
      const unit = Atomics.add(ctl, NEXT, 1);
      return unit < units ? unit : -1;
    };
    let callerError: unknown = null;
    try {
      kernel(job, claim, lib);
    } catch (err) {
      callerError = err;
      Atomics.store(ctl, ABORT, 1);
    }
    // Close the dispatch, then wait for the workers that joined it before it closed.
    Atomics.store(ctl, OPEN, 0);
    for (let active = Atomics.load(ctl, ACTIVE); active !== 0; active = Atomics.load(ctl, ACTIVE)) {
      Atomics.wait(ctl, ACTIVE, active);
    }
    let workerError: Error | null = null;
    for (const w of joined) {
      for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
        const {
          gen: g,
          message,
          stack,
          unusable,
        } = m.message as { gen: number; message: string; stack?: string; unusable?: string };
        if (unusable !== undefined) this.#disable(`a worker cannot evaluate the kernel source: ${unusable}`);
        if (g !== gen || workerError || unusable !== undefined) continue;
        workerError = new Error(`sscan CPU worker failed: ${message}`);
        if (stack) workerError.stack = `${workerError.stack}\n-- in the worker --\n${stack}`;
      }
    }
    if (callerError) throw callerError;
    if (workerError) throw workerError;
  }

  /**
   * Starts every worker and waits (up to `timeoutMs`) until each can take work, so that the
   * first job is shared from its start. Returns the number of workers ready.
   */
  warmUp(timeoutMs = 10_000): number {
    const ctl = this.#ctl;
    Atomics.store(ctl, READY, 0);
    const count = this.size - 1;
    for (let i = 0; i < count; i++) this.#worker(i)?.port.postMessage({ ping: true });
    const deadline = Date.now() + timeoutMs;
    for (let ready = Atomics.load(ctl, READY); ready < count; ready = Atomics.load(ctl, READY)) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      Atomics.wait(ctl, READY, ready, left);
    }
    return Atomics.load(ctl, READY);
  }

  /** Units the workers (not the caller) ran in the last multi-threaded run. */
  get lastWorkerUnits(): number {
    return Atomics.load(this.#ctl, BY_WORKERS);
  }

  /** Stops every worker (tests; an idle pool does not keep the process alive anyway). */
  async close(): Promise<void> {
    const all = this.#workers.splice(0);
    await Promise.all(all.map((w) => w.worker.terminate()));
  }
}

export interface CpuThreadOptions {
  /** Threads per job, the caller included. Default: SSCAN_CPU_THREADS, else os.availableParallelism(). */
  threads: number;
  /**
   * Work (≈ state updates) below which a job stays on fewer threads: each extra thread must get
   * at least this much, or the ~0.1 ms of waking it costs more than it saves.
   */
  minWorkPerThread: number;
}

function defaultThreads(): number {
  const env = Number.parseInt(process.env.SSCAN_CPU_THREADS ?? '', 10);
  return Number.isFinite(env) && env >= 1 ? env : availableParallelism();
}

const options: CpuThreadOptions = { threads: defaultThreads(), minWorkPerThread: 1 << 18 };
let pool: ThreadPool | null = null;

/** Current thread settings (copy). */
export function cpuThreadOptions(): CpuThreadOptions {
  return { ...options };
}

/** Changes the thread settings (tests and benchmarks); returns the previous ones. */
export function setCpuThreadOptions(next: Partial<CpuThreadOptions>): CpuThreadOptions {
  const previous = { ...options };
  if (next.threads !== undefined) options.threads = Math.max(1, Math.floor(next.threads));
  if (next.minWorkPerThread !== undefined) options.minWorkPerThread = Math.max(0, next.minWorkPerThread);
  return previous;
}

/** Threads worth using for `work` state updates. */
export function threadsFor(work: number): number {
  const byWork = options.minWorkPerThread > 0 ? Math.floor(work / options.minWorkPerThread) : options.threads;
  return Math.max(1, Math.min(options.threads, byWork));
}

/** The process-wide pool, grown on demand to the configured thread count. */
export function cpuPool(): ThreadPool {
  if (!pool || pool.size < options.threads) {
    const old = pool;
    pool = new ThreadPool(options.threads);
    void old?.close();
  }
  return pool;
}

/** Runs a kernel over `units` units on the shared pool with as many threads as `work` merits. */
export function runParallel<Job, Lib extends Readonly<Record<string, AnyFn>>>(
  kernel: Kernel<Job, Lib>,
  job: Job,
  units: number,
  lib: Lib,
  work: number,
): void {
  const threads = threadsFor(work);
  if (threads <= 1) {
    let next = 0;
    kernel(job, () => (next < units ? next++ : -1), lib);
    return;
  }
  cpuPool().run(kernel, job, units, lib, threads);
}
