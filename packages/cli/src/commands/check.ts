/**
 * `sscan check`: run the scan forward and backward on random Mamba-like inputs on one
 * backend and compare every output and gradient with the reference: the CPU backend on the
 * same inputs, or, for the CPU backend itself, a float64 run of the same inputs.
 */
import type { Backend, SelectiveScanGradients, Tensor } from '@sscan/core';
import { parseChoiceListFlag, parseIntFlag } from '../args';
import { backendOf, openDevice } from '../backends';
import { defineCommand } from '../command';
import { badFlag, EXIT_FAILURE, EXIT_OK } from '../errors';
import type { Io } from '../io';
import { Progress } from '../progress';
import {
  copyInputs,
  describeFeatures,
  disposeInputs,
  randomInputs,
  type ScanFeatures,
  type ScanInputs,
  scanBackward,
  scanForward,
  widenInputs,
} from '../scan_inputs';
import {
  DEFAULT_CHECK_SHAPE,
  formatScanShape,
  parseShapeFlag,
  SCAN_DTYPES,
  type ScanDType,
  type ScanShape,
} from '../shapes';
import { formatMs, timed } from '../timing';
import { type Comparison, compare, type ScanOutputName, type Tolerance, toleranceFor } from '../tolerance';

interface Row {
  readonly name: ScanOutputName;
  readonly tol: Tolerance;
  readonly result: Comparison;
  readonly actual: number;
  readonly expected: number;
}

const GRADIENTS = [
  'du',
  'ddelta',
  'dA',
  'dB',
  'dC',
  'dD',
  'dz',
  'dDeltaBias',
] as const satisfies readonly (keyof SelectiveScanGradients & ScanOutputName)[];

interface Timed<T> {
  readonly value: T;
  readonly ms: number;
}

type Outcome<T> = { ok: true; run: Timed<T> } | { ok: false; error: string };

/** Run one pass; a throw is a result to report (a missing or crashing kernel), not a crash. */
async function attempt<T>(backend: Backend, device: number, fn: () => T): Promise<Outcome<T>> {
  try {
    return { ok: true, run: await timed(backend, device, fn) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function compareTensors(name: ScanOutputName, dtype: ScanDType, actual: Tensor, expected: Tensor): Row {
  const tol = toleranceFor(name, dtype);
  const a = actual.toArraySync();
  const e = expected.toArraySync();
  const result = compare(a, e, tol);
  return { name, tol, result, actual: a[result.worst], expected: e[result.worst] };
}

function formatRow(r: Row): string {
  const c = r.result;
  const verdict = c.pass
    ? 'ok'
    : `FAIL (${c.failures}/${c.count} outside; worst [${c.worst}]: got ${r.actual.toPrecision(6)}, expected ${r.expected.toPrecision(6)})`;
  const num = (x: number) => x.toExponential(2).padStart(10);
  return `  ${r.name.padEnd(11)}${num(c.maxAbs)}${num(c.maxRel)}${num(r.tol.rtol)}${num(r.tol.atol)}  ${verdict}`;
}

interface Target {
  readonly backend: Backend;
  readonly name: string;
  readonly index: number;
  readonly isCpu: boolean;
}

/** Everything one dtype's check creates, so it is disposed however the check ends. */
class Owned {
  readonly #inputs: ScanInputs[] = [];
  readonly #tensors: (Tensor | null)[] = [];
  inputs(x: ScanInputs): ScanInputs {
    this.#inputs.push(x);
    return x;
  }
  tensor(t: Tensor): Tensor {
    this.#tensors.push(t);
    return t;
  }
  grads(g: SelectiveScanGradients): SelectiveScanGradients {
    this.#tensors.push(...Object.values(g));
    return g;
  }
  dispose(): void {
    for (const x of this.#inputs) disposeInputs(x);
    for (const t of this.#tensors) t?.dispose();
  }
}

async function checkOne(
  io: Io,
  target: Target,
  s: ScanShape,
  dtype: ScanDType,
  f: ScanFeatures,
  seed: number,
  backward: boolean,
): Promise<boolean> {
  const progress = new Progress(io, `check ${dtype}`, backward ? 5 : 3);
  const cpu = target.isCpu ? target.backend : backendOf('cpu');
  const refLabel = target.isCpu ? 'float64 reference' : 'cpu reference';
  const owned = new Owned();
  const rows: Row[] = [];
  const problems: string[] = [];
  const times: string[] = [];
  try {
    const x = owned.inputs(randomInputs(s, dtype, target.name, f, seed));
    const ref = owned.inputs(target.isCpu ? widenInputs(x) : copyInputs(x, 'cpu'));
    progress.tick(1, 'inputs ready');

    const got = await attempt(target.backend, target.index, () => owned.tensor(scanForward(x, f)));
    progress.tick(1, `${target.name} forward done`);
    const want = await timed(cpu, 0, () => owned.tensor(scanForward(ref, f)));
    progress.tick(1, 'reference forward done');
    if (got.ok) {
      rows.push(compareTensors('out', dtype, got.run.value, want.value));
      times.push(`forward ${formatMs(got.run.ms)} (${refLabel} ${formatMs(want.ms)})`);
    } else {
      problems.push(`forward threw: ${got.error}`);
    }

    if (backward) {
      const gotGrads = await attempt(target.backend, target.index, () => owned.grads(scanBackward(x, f)));
      progress.tick(1, `${target.name} backward done`);
      // The reference may be the very kernel that threw (the CPU backend checking itself).
      const wantGrads = await attempt(cpu, 0, () => owned.grads(scanBackward(ref, f)));
      progress.tick(1, 'reference backward done');
      if (!gotGrads.ok) problems.push(`backward threw: ${gotGrads.error}`);
      else if (!wantGrads.ok) problems.push(`reference backward threw: ${wantGrads.error}`);
      else {
        for (const name of GRADIENTS) {
          const a = gotGrads.run.value[name];
          const e = wantGrads.run.value[name];
          if (a && e) rows.push(compareTensors(name, dtype, a, e));
        }
        times.push(`backward ${formatMs(gotGrads.run.ms)} (${refLabel} ${formatMs(wantGrads.run.ms)})`);
      }
    }
  } finally {
    progress.finish();
    owned.dispose();
  }
  const num = (h: string) => h.padStart(10);
  io.out(`${dtype.padEnd(13)}${num('max abs')}${num('max rel')}${num('rtol')}${num('atol')}  result`);
  for (const r of rows) io.out(formatRow(r));
  for (const p of problems) io.out(`  FAIL: ${p}`);
  if (times.length > 0) io.out(`  time: ${times.join(', ')}`);
  const failed = rows.filter((r) => !r.result.pass).map((r) => r.name);
  if (failed.length > 0) problems.push(`${failed.join(', ')} outside tolerance`);
  io.out(
    problems.length === 0
      ? `  ${dtype}: pass`
      : `  ${dtype}: FAIL (${problems.length} problem${problems.length > 1 ? 's' : ''})`,
  );
  io.out('');
  return problems.length === 0;
}

export const check = defineCommand({
  name: 'check',
  summary: 'Check the scan forward and backward on this machine against the reference.',
  description:
    'Runs the selective scan and its backward on random Mamba-like inputs on the default backend\n' +
    '(or --device), and compares the output and every gradient with the CPU backend on the same\n' +
    'inputs; the CPU backend itself is compared with a float64 run. Tolerances follow mamba_ssm:\n' +
    'out (rtol, atol) float32 (6e-4, 2e-3), float16 (3e-3, 5e-3), bfloat16 (3e-2, 5e-2).\n' +
    'Exit code 1 if anything is outside its tolerance or a kernel throws.',
  flags: {
    shape: {
      type: 'string',
      value: 'b,d,l,n',
      description: `batch,dim,seqlen,dstate (default ${Object.values(DEFAULT_CHECK_SHAPE).join(',')}).`,
    },
    dtype: {
      type: 'string',
      value: 'list',
      description: `Input dtypes, comma-separated: ${SCAN_DTYPES.join(', ')} (default float32).`,
    },
    device: {
      type: 'string',
      value: 'dev',
      description: 'cpu, cuda, cuda:1, rocm, ... (default: the default backend).',
    },
    seed: { type: 'string', value: 'n', description: 'Seed of the random inputs (default 0).' },
    'no-backward': { type: 'boolean', description: 'Check the forward only.' },
    'no-z': { type: 'boolean', description: 'Without the gate z.' },
    'no-d': { type: 'boolean', description: 'Without the skip connection D.' },
    'no-delta-bias': { type: 'boolean', description: 'Without deltaBias.' },
    'no-softplus': { type: 'boolean', description: 'Without softplus on delta.' },
    complex: { type: 'boolean', description: 'Complex A, B and C (S4D-Lin initialisation of A).' },
    'constant-bc': {
      type: 'boolean',
      description: 'Constant B and C (dim, dstate) instead of variable ones.',
    },
  },
  examples: ['sscan check', 'sscan check --device cpu --shape 1,64,128,16 --dtype float32,bfloat16'],
  async run(flags, io) {
    const s = flags.shape === undefined ? DEFAULT_CHECK_SHAPE : parseShapeFlag('--shape', flags.shape);
    const dtypes: readonly ScanDType[] =
      flags.dtype === undefined ? ['float32'] : parseChoiceListFlag('--dtype', flags.dtype, SCAN_DTYPES);
    const seed = flags.seed === undefined ? 0 : parseIntFlag('--seed', flags.seed, 0);
    const device = openDevice('--device', flags.device);
    const isCpu = device.type === 'cpu';
    if (!isCpu && dtypes.includes('float64')) {
      throw badFlag(
        '--dtype',
        `float32, float16 or bfloat16 on ${device.name} (float64 runs on the CPU only)`,
        "'float64'",
      );
    }
    const features: ScanFeatures = {
      z: !flags['no-z'],
      D: !flags['no-d'],
      deltaBias: !flags['no-delta-bias'],
      softplus: !flags['no-softplus'],
      variableBC: !flags['constant-bc'],
      complex: flags.complex,
    };
    const backward = !flags['no-backward'];
    const backend = device.backend;
    io.out(
      `sscan check on ${device.name}: shape (batch, dim, seqlen, dstate) = ${formatScanShape(s)}, seed ${seed}`,
    );
    io.out(`  features: ${describeFeatures(features)}${backward ? '' : '; forward only'}`);
    io.out(
      `  reference: ${isCpu ? 'the CPU backend in float64 on the same inputs' : 'the CPU backend on the same inputs'}`,
    );
    io.out('');
    const target: Target = { backend, name: device.name, index: device.index, isCpu };
    let ok = true;
    for (const dtype of dtypes) ok = (await checkOne(io, target, s, dtype, features, seed, backward)) && ok;
    io.out(ok ? 'PASS' : 'FAIL');
    return ok ? EXIT_OK : EXIT_FAILURE;
  },
});
