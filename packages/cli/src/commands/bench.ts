/**
 * `sscan bench`: median forward and backward time of the scan per shape and dtype, called as
 * a Mamba layer calls it, with state updates/s and GB/s, written to a JSON record.
 *
 * Each rep runs on the next of several input sets, so a small shape cannot sit in cache
 * between reps and look faster than it will inside a model. Every rep is timed on its own
 * between device synchronisations (timing.ts); we report the median.
 */
import type { Backend } from '@sscan/core';
import { parseChoiceListFlag, parseIntFlag } from '../args';
import { formatBytes, openDevice } from '../backends';
import {
  type BenchRecord,
  type BenchResult,
  defaultRecordPath,
  newRecord,
  type PassTiming,
  passTiming,
  writeRecord,
} from '../bench_record';
import { defineCommand } from '../command';
import { badFlag, EXIT_FAILURE, EXIT_OK } from '../errors';
import type { Io } from '../io';
import { Progress } from '../progress';
import {
  cloneInputs,
  describeFeatures,
  disposeGradients,
  disposeInputs,
  MAMBA_LAYER_FEATURES,
  randomInputs,
  type ScanInputs,
  scanBackward,
  scanForward,
  tensorBytes,
} from '../scan_inputs';
import {
  type BenchCase,
  CPU_BENCH_CASES,
  CPU_FORWARD_TARGET,
  defaultBenchCases,
  formatScanShape,
  parseShapeFlag,
  SCAN_DTYPES,
  type ScanDType,
  stateUpdates,
} from '../shapes';
import { formatMs, formatRate, timed } from '../timing';

/**
 * Enough input sets that together they outgrow any last-level cache (H200 L2: 60 MB; big
 * server CPUs: a few hundred MB of L3 across sockets), so no rep finds its inputs cached.
 */
const ROTATION_BYTES = 512 * 1024 * 1024;
const MIN_SETS = 2;
const MAX_SETS = 64;

interface Settings {
  readonly warmup: number;
  readonly reps: number;
  readonly backward: boolean;
}

function inputBytes(x: ScanInputs): number {
  return tensorBytes(x.u, x.delta, x.A, x.B, x.C, x.D, x.z, x.deltaBias);
}

async function timePass(
  io: Io,
  label: string,
  backend: Backend,
  device: number,
  sets: readonly ScanInputs[],
  settings: Settings,
  once: (x: ScanInputs) => () => void,
): Promise<number[]> {
  const progress = new Progress(io, label, settings.warmup + settings.reps);
  const times: number[] = [];
  try {
    for (let i = 0; i < settings.warmup + settings.reps; i++) {
      // `once` returns the cleanup, run outside the timed region.
      const { value: cleanup, ms } = await timed(backend, device, () => once(sets[i % sets.length]));
      cleanup();
      if (i >= settings.warmup) times.push(ms);
      progress.tick(1, i < settings.warmup ? 'warm-up' : '');
    }
  } finally {
    progress.finish();
  }
  return times;
}

async function benchCase(
  io: Io,
  c: BenchCase,
  device: { name: string; index: number; backend: Backend },
  settings: Settings,
): Promise<{ result: BenchResult; sets: number }> {
  const f = MAMBA_LAYER_FEATURES;
  const label = `${formatScanShape(c.shape)} ${c.dtype}`;
  const first = randomInputs(c.shape, c.dtype, device.name, f, 0);
  const setBytes = inputBytes(first) + first.gradOut.byteLength;
  const count = Math.min(MAX_SETS, Math.max(MIN_SETS, Math.ceil(ROTATION_BYTES / setBytes)));
  const sets = [first];
  // One random set, then copies of it at other addresses: same work, no cache reuse.
  const preparing = new Progress(io, `${label} inputs`, count);
  try {
    for (let k = 1; k < count; k++) {
      sets.push(cloneInputs(first));
      preparing.tick();
    }
    preparing.finish();
    const updates = stateUpdates(c.shape);
    const inBytes = inputBytes(first);
    const outBytes = first.u.byteLength;
    const fwdTimes = await timePass(
      io,
      `${label} forward`,
      device.backend,
      device.index,
      sets,
      settings,
      (x) => {
        const out = scanForward(x, f);
        return () => out.dispose();
      },
    );
    let backward: PassTiming | null = null;
    let backwardError: string | undefined;
    if (settings.backward) {
      // A backend may have a forward and no backward yet: keep the forward's numbers.
      const bwdTimes = await timePass(
        io,
        `${label} backward`,
        device.backend,
        device.index,
        sets,
        settings,
        (x) => {
          const g = scanBackward(x, f);
          return () => disposeGradients(g);
        },
      ).catch((err: unknown) => {
        backwardError = err instanceof Error ? err.message : String(err);
        return null;
      });
      // Reads every input and dL/d out; writes one gradient per input, each its input's size.
      if (bwdTimes) backward = passTiming(bwdTimes, updates, 2 * inBytes + first.gradOut.byteLength);
    }
    const result: BenchResult = {
      shape: c.shape,
      dtype: c.dtype,
      features: describeFeatures(f),
      stateUpdates: updates,
      forward: passTiming(fwdTimes, updates, inBytes + outBytes),
      backward,
      ...(backwardError === undefined ? {} : { backwardError }),
    };
    return { result, sets: count };
  } finally {
    for (const x of sets) disposeInputs(x);
  }
}

function casesFrom(shapes: string[], dtypeFlag: string | undefined, deviceType: string): BenchCase[] {
  const defaults = defaultBenchCases(deviceType === 'cpu' ? 'cpu' : 'cuda');
  const parsed = shapes.map((v) => parseShapeFlag('--shape', v));
  const dtypes: readonly ScanDType[] | null =
    dtypeFlag === undefined ? null : parseChoiceListFlag('--dtype', dtypeFlag, SCAN_DTYPES);
  if (deviceType !== 'cpu' && dtypes?.includes('float64')) {
    throw badFlag(
      '--dtype',
      'float32, float16 or bfloat16 on a GPU (float64 runs on the CPU only)',
      `'${dtypeFlag}'`,
    );
  }
  if (parsed.length === 0 && dtypes === null) return [...defaults];
  const shapeList =
    parsed.length > 0
      ? parsed
      : [...new Map(defaults.map((d) => [formatScanShape(d.shape), d.shape])).values()];
  const dtypeList = dtypes ?? [...new Set(defaults.map((d) => d.dtype))];
  return shapeList.flatMap((shape) => dtypeList.map((dtype) => ({ shape, dtype })));
}

function printRow(io: Io, c: BenchResult, pass: 'forward' | 'backward', t: PassTiming): void {
  const shapeCol =
    pass === 'forward' ? formatScanShape(c.shape).padEnd(22) + c.dtype.padEnd(10) : ' '.repeat(32);
  io.out(
    `${shapeCol}${pass.padEnd(10)}${formatMs(t.medianMs).padStart(10)}${formatMs(t.minMs).padStart(10)}` +
      `${formatRate(t.stateUpdatesPerSec).padStart(12)}${t.gbPerSec.toFixed(2).padStart(9)}`,
  );
}

export const bench = defineCommand({
  name: 'bench',
  summary: 'Time the scan forward and backward per shape and dtype; write a JSON record.',
  description:
    'Shapes are (batch, dim, seqlen, dstate), called as a Mamba layer calls the scan: variable B/C\n' +
    '(one group), D, z, deltaBias and softplus. Default shapes: on the CPU (1,1536,512,16) float32\n' +
    '(target: ≥ 1e8 state updates/s forward); on a GPU a table of Mamba training and inference\n' +
    'shapes in float32 and bfloat16. Reports the median time, state updates/s\n' +
    '(batch·dim·seqlen·dstate / time) and GB/s (bytes read + written / time).',
  flags: {
    shape: {
      type: 'string',
      multiple: true,
      value: 'b,d,l,n',
      description: 'batch,dim,seqlen,dstate (default: the table above)',
    },
    dtype: {
      type: 'string',
      value: 'list',
      description: `Input dtypes, comma-separated: ${SCAN_DTYPES.join(', ')}.`,
    },
    device: {
      type: 'string',
      value: 'dev',
      description: 'cpu, cuda, cuda:1, rocm, ... (default: the default backend).',
    },
    reps: {
      type: 'string',
      value: 'n',
      description: 'Timed reps per pass (default 10 on the CPU, 50 on a GPU).',
    },
    warmup: {
      type: 'string',
      value: 'n',
      description: 'Untimed reps first (default 2 on the CPU, 10 on a GPU).',
    },
    'no-backward': { type: 'boolean', description: 'Time the forward only.' },
    json: {
      type: 'string',
      value: 'file',
      description: 'Where to write the JSON record (default bench-results/<device>-<time>.json).',
    },
  },
  examples: [
    'sscan bench',
    'sscan bench --device cpu --shape 1,1536,512,16 --reps 20',
    'sscan bench --shape 8,1536,2048,16 --dtype bfloat16 --json out.json',
  ],
  async run(flags, io) {
    const device = openDevice('--device', flags.device);
    const onCpu = device.type === 'cpu';
    const cases = casesFrom(flags.shape, flags.dtype, device.type);
    const settings: Settings = {
      reps: flags.reps === undefined ? (onCpu ? 10 : 50) : parseIntFlag('--reps', flags.reps, 1),
      warmup: flags.warmup === undefined ? (onCpu ? 2 : 10) : parseIntFlag('--warmup', flags.warmup, 0),
      backward: !flags['no-backward'],
    };
    const backend = device.backend;
    const described = backend.describe();
    const dev = described.devices.find((d) => d.index === device.index) ?? null;
    const timing = onCpu ? 'wall clock around each call' : 'wall clock between backend.synchronize() calls';
    const record: BenchRecord = newRecord(
      { name: device.type, device: device.name, version: described.version, description: dev },
      { ...settings, sets: 0, timing },
    );
    io.out(`sscan bench on ${device.name} (${dev?.name ?? 'unknown device'}; ${described.version})`);
    io.out(
      `  warm-up ${settings.warmup}, reps ${settings.reps}; each rep takes the next of ${MIN_SETS}–${MAX_SETS} input sets (≥ ${formatBytes(ROTATION_BYTES)} in all) so caches do not flatter`,
    );
    io.out('');
    io.out(
      `${'shape (b, d, l, n)'.padEnd(22)}${'dtype'.padEnd(10)}${'pass'.padEnd(10)}${'median'.padStart(10)}${'min'.padStart(10)}${'updates/s'.padStart(12)}${'GB/s'.padStart(9)}`,
    );
    let sets = 0;
    for (const c of cases) {
      // One case failing (a kernel throws, memory runs out) must not lose the others.
      let r: Awaited<ReturnType<typeof benchCase>>;
      try {
        r = await benchCase(io, c, { name: device.name, index: device.index, backend }, settings);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        record.failures.push({ shape: c.shape, dtype: c.dtype, error });
        io.out(`${formatScanShape(c.shape).padEnd(22)}${c.dtype.padEnd(10)}FAILED: ${error}`);
        continue;
      }
      sets = Math.max(sets, r.sets);
      record.results.push(r.result);
      printRow(io, r.result, 'forward', r.result.forward);
      if (r.result.backward) printRow(io, r.result, 'backward', r.result.backward);
      if (r.result.backwardError) io.out(`${' '.repeat(32)}backward  FAILED: ${r.result.backwardError}`);
    }
    const final: BenchRecord = { ...record, settings: { ...record.settings, sets } };
    const target = final.results.find(
      (r) =>
        onCpu &&
        r.dtype === CPU_BENCH_CASES[0].dtype &&
        formatScanShape(r.shape) === formatScanShape(CPU_BENCH_CASES[0].shape),
    );
    if (target) {
      const met = target.forward.stateUpdatesPerSec >= CPU_FORWARD_TARGET;
      io.out('');
      io.out(
        `CPU target ≥ ${formatRate(CPU_FORWARD_TARGET)} state updates/s forward: ${met ? 'met' : 'not met'} (${formatRate(target.forward.stateUpdatesPerSec)})`,
      );
    }
    const path = flags.json ?? defaultRecordPath(final);
    writeRecord(path, final);
    io.out('');
    io.out(`wrote ${path}`);
    const failed = final.failures.length + final.results.filter((r) => r.backwardError).length;
    return failed === 0 ? EXIT_OK : EXIT_FAILURE;
  },
});
