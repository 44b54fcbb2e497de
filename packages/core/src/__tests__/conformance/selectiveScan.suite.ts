/**
 * The selective-scan conformance suite, written once and run for every device
 * (tfjs/ggml style): `selectiveScan.cpu.test.ts` runs it for 'cpu', and
 * `selectiveScan.cuda.gpu.test.ts` for 'cuda' (vitest.gpu.config.ts, `pnpm test:gpu`).
 *
 * References:
 *   cpu   — forward against the float64 oracle (oracle/selectiveScanOracle.ts) on the same
 *           rounded inputs; float64 backward against finite differences of the oracle;
 *           float32/16-bit backward against the CPU backend's own float64 backward on the
 *           same rounded inputs. Tolerances: REFERENCE_TOLERANCE (tight).
 *   other — every result against the CPU backend run on the same inputs, with Mamba's
 *           tolerances (OUT_TOLERANCE, gradTolerance).
 *
 * The grid is a seeded pairwise covering design over seqlen × dtype × real/complex ×
 * constant/variable B and C × groups × dstate × each optional input × initial state ×
 * returnLastState: every value of every axis, and every pair of values of any two axes,
 * appears in some case. The seed is fresh every run and printed in the suite name and in
 * every failure; SSCAN_SEED=<seed> replays a run (same cases, same data).
 *
 * Unwritten outputs. The op allocates its outputs itself, and a caching allocator (the CUDA
 * one; the CPU backend's opt-in cache) hands back freed blocks with whatever they held —
 * possibly the right answer from an earlier identical call, and zeros would hide a kernel
 * that accumulates into its output instead of overwriting it. So before each call the suite
 * fills and frees NaN blocks of exactly the sizes the op is about to allocate
 * (`poisonAllocatorCache`): the op gets those blocks back, an element it does not write stays
 * NaN, one it adds to becomes NaN, and NaN never passes a comparison. The test "poisoning
 * reaches the op's outputs" proves the allocator really hands the poisoned blocks back; if it
 * ever stops doing so, that test fails rather than the protection silently going away.
 * selectiveScan.cpu.test.ts turns the CPU cache on for this. Without a cache (fresh, zeroed
 * CPU memory) an unwritten element still fails, since no expected value of these random
 * problems is exactly zero — except dA at seqlen 1 without an initial state (h_0 = 0).
 */
import { describe, expect, it } from 'vitest';
import type { DType } from '../../dtype';
import {
  empty,
  memoryStats,
  type SelectiveScanGradients,
  selectiveScan,
  selectiveScanBackward,
  selectiveScanForward,
  selectiveScanStep,
  type Tensor,
  tensor,
  tidy,
  validateSelectiveScan,
} from '../../index';
import {
  finiteDifferenceGradients,
  isComplexInput,
  SCAN_INPUTS,
  type ScanProblem,
  scanOracle,
} from '../oracle/selectiveScanOracle';
import { coveringDesign } from './covering';
import { normals, type ProblemSpec, randomProblem, rngFor, runSeed } from './random';
import {
  caseName,
  dtypeOf,
  gradOf,
  type InputDType,
  makeTensors,
  readProblem,
  runBackward,
  runForward,
  type ScanCase,
  type ScanTensors,
  scanOptions,
  shapeOf,
  stateDType,
  tensorsTo,
  toF64,
} from './scanCase';
import {
  compareArrays,
  gradTolerance,
  OUT_TOLERANCE,
  referenceTolerance,
  type ScanDType,
  type Tolerance,
} from './tolerance';

export const SEQLENS = [1, 2, 8, 16, 32, 64, 128, 256, 372, 512, 784, 1024, 1134, 2048, 4096] as const;

export interface ConformanceOptions {
  /** 2: pairwise (default); 3: every triple of axis values (about 4× the cases; GPU). */
  strength?: 2 | 3;
  /** Longer seqlens run forward only. Default 512 on cpu (selectiveScan.cpu.test.ts raises it), every seqlen elsewhere. */
  maxBackwardSeqlen?: number;
  /** (batch, dim) of a case by seqlen; dim must be a multiple of 4 (groups). */
  sizes?: (seqlen: number) => { batch: number; dim: number };
  /** dtypes of u in the grid; default float32, float16, bfloat16 (and float64 on cpu). */
  dtypes?: readonly InputDType[];
  /**
   * The device's allocator hands freed blocks back (a GPU; the CPU with setCpuStorageCache):
   * poison outputs before every call and prove it works. Default: true off the CPU.
   */
  allocatorReusesBlocks?: boolean;
}

const BOOL = [false, true] as const;

function cpuSizes(seqlen: number): { batch: number; dim: number } {
  // Long sequences keep batch·dim small so the TypeScript backend and the oracle stay fast.
  return seqlen > 512 ? { batch: 1, dim: 4 } : { batch: 2, dim: 8 };
}

function gridAxes(dtypes: readonly InputDType[]) {
  return {
    seqlen: SEQLENS,
    dtype: dtypes,
    complex: BOOL,
    variableB: BOOL,
    variableC: BOOL,
    groups: [1, 2, 4] as const,
    dstate: [1, 4, 16] as const,
    D: BOOL,
    z: BOOL,
    deltaBias: BOOL,
    deltaSoftplus: BOOL,
    initialState: BOOL,
    returnLastState: BOOL,
  };
}

/** groups only means something when B or C is variable. */
function validPoint(c: Pick<ScanCase, 'groups' | 'variableB' | 'variableC'>): boolean {
  return c.groups === 1 || c.variableB || c.variableC;
}

export function conformanceCases(
  seed: number,
  strength: 2 | 3,
  dtypes: readonly InputDType[],
  sizes: (seqlen: number) => { batch: number; dim: number },
): ScanCase[] {
  const points = coveringDesign(gridAxes(dtypes), strength, rngFor(seed, 'grid'), validPoint);
  return points.map((pt) => ({ ...pt, ...sizes(pt.seqlen), cutoffCases: true }));
}

/** NaN-filled blocks of each (shape, dtype), allocated and freed on `device` (see header). */
export function poisonAllocatorCache(
  device: string,
  outputs: ReadonlyArray<{ shape: readonly number[]; dtype: DType }>,
): void {
  const blocks: Tensor[] = [];
  for (const o of outputs) {
    const width = o.dtype === 'complex64' || o.dtype === 'complex128' ? 2 : 1;
    const n = o.shape.reduce((a, b) => a * b, 1) * width;
    // Two of each: outputs of equal size (out and lastState of some shapes, du/ddelta/dz) all find one.
    for (let k = 0; k < 2; k++)
      blocks.push(tensor(new Float64Array(n).fill(Number.NaN), o.shape, { dtype: o.dtype, device }));
  }
  for (const b of blocks.reverse()) b.dispose();
}

function forwardOutputs(p: ScanProblem, dtype: InputDType) {
  return [
    { shape: [p.batch, p.dim, p.seqlen], dtype: dtype as DType },
    { shape: [p.batch, p.dim, p.dstate], dtype: stateDType(dtype, p.complex) },
  ];
}

function backwardOutputs(p: ScanProblem, dtype: InputDType) {
  return SCAN_INPUTS.filter((name) => p[name] !== null).map((name) => ({
    shape: shapeOf(p, name),
    dtype: dtypeOf(p, name, dtype),
  }));
}

function check(
  what: string,
  context: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  shape: readonly number[],
  complex = false,
): void {
  const problem = compareArrays(actual, expected, tol, shape, complex);
  expect(problem, `${what} — ${context}`).toBeNull();
}

export function describeSelectiveScanConformance(device: string, options: ConformanceOptions = {}): void {
  const seed = runSeed();
  const onCpu = device === 'cpu';
  const strength = options.strength ?? 2;
  const maxBackwardSeqlen = options.maxBackwardSeqlen ?? (onCpu ? 512 : Number.POSITIVE_INFINITY);
  const sizes = options.sizes ?? cpuSizes;
  const dtypes =
    options.dtypes ??
    (onCpu
      ? (['float32', 'float16', 'bfloat16', 'float64'] as const)
      : (['float32', 'float16', 'bfloat16'] as const));
  const ctx = (name: string) => `device ${device}, case '${name}', seed ${seed} (replay: SSCAN_SEED=${seed})`;
  const reuses = options.allocatorReusesBlocks ?? !onCpu;
  const poison = (outputs: ReadonlyArray<{ shape: readonly number[]; dtype: DType }>) => {
    if (reuses) poisonAllocatorCache(device, outputs);
  };

  /** Host copies on cpu (the reference's inputs) and the same values on the device. */
  const inputs = (p: ScanProblem, dtype: InputDType) => {
    const host = makeTensors(p, dtype, 'cpu');
    return { host, dev: onCpu ? host : tensorsTo(host, device) };
  };

  describe(`selectiveScan conformance on ${device} (seed ${seed}; replay with SSCAN_SEED=${seed})`, () => {
    const cases = conformanceCases(seed, strength, dtypes, sizes);

    it('the grid covers every value of every axis and every pair of values', () => {
      // Every pair is reachable by some valid case (groups > 1 needs B or C variable, and
      // either one will do), so every pair must appear.
      const axes = gridAxes(dtypes);
      const names = Object.keys(axes) as (keyof typeof axes)[];
      for (const [i, a] of names.entries()) {
        for (const va of axes[a]) {
          expect(
            cases.some((c) => c[a] === va),
            `${String(a)}=${String(va)} in the grid`,
          ).toBe(true);
          for (const b of names.slice(i + 1)) {
            for (const vb of axes[b]) {
              expect(
                cases.some((c) => c[a] === va && c[b] === vb),
                `${String(a)}=${String(va)} with ${String(b)}=${String(vb)}`,
              ).toBe(true);
            }
          }
        }
      }
      expect(cases.every(validPoint)).toBe(true);
    });

    describe('forward', () => {
      for (const [i, c] of cases.entries()) {
        const name = `#${i} ${caseName(c)}`;
        it(name, () => {
          const p = randomProblem(rngFor(seed, `forward ${name}`), c);
          tidy(() => {
            const { host, dev } = inputs(p, c.dtype);
            poison(forwardOutputs(p, c.dtype));
            const opts = scanOptions(dev, p);
            let out: Tensor;
            let lastState: Tensor | null = null;
            if (c.returnLastState) {
              ({ out, lastState } = selectiveScan(dev.u, dev.delta, dev.A, dev.B, dev.C, {
                ...opts,
                returnLastState: true,
              }));
            } else {
              out = selectiveScan(dev.u, dev.delta, dev.A, dev.B, dev.C, opts);
            }
            expect(out.shape).toEqual([p.batch, p.dim, p.seqlen]);
            expect(out.dtype).toBe(c.dtype);
            expect(out.deviceName).toBe(dev.u.deviceName);
            let expected: { out: ArrayLike<number>; lastState: ArrayLike<number> };
            let tolOut: Tolerance;
            let tolState: Tolerance;
            if (onCpu) {
              expected = scanOracle(readProblem(host, p));
              tolOut = referenceTolerance(c.dtype, expected.out);
              // The state is float32/complex64 for every 16-bit dtype: only float32 rounding.
              tolState = referenceTolerance(
                c.dtype === 'float64' ? 'float64' : 'float32',
                expected.lastState,
              );
            } else {
              const ref = runForward(host, p);
              expected = { out: toF64(ref.out), lastState: toF64(ref.lastState) };
              tolOut = OUT_TOLERANCE[c.dtype as ScanDType];
              // The state is float32/complex64 for every input dtype, and both sides start from the
              // same rounded inputs: only float32 accumulation separates them.
              tolState = OUT_TOLERANCE.float32;
            }
            check('out', ctx(name), toF64(out), expected.out, tolOut, out.shape);
            if (lastState) {
              expect(lastState.shape).toEqual([p.batch, p.dim, p.dstate]);
              expect(lastState.dtype).toBe(stateDType(c.dtype, p.complex));
              check(
                'lastState',
                ctx(name),
                toF64(lastState),
                expected.lastState,
                tolState,
                lastState.shape,
                p.complex,
              );
            }
          });
        });
      }
    });

    describe('backward', () => {
      const backwardCases = cases.filter((c) => c.seqlen <= maxBackwardSeqlen && c.dtype !== 'float64');
      for (const [i, c] of backwardCases.entries()) {
        const name = `#${i} ${caseName(c)}${c.returnLastState ? ' gradLastState' : ''}`;
        it(name, () => {
          const rng = rngFor(seed, `backward ${name}`);
          const p = randomProblem(rng, c);
          const w = p.complex ? 2 : 1;
          const gradOutValues = normals(rng, p.batch * p.dim * p.seqlen);
          const gradLastValues = c.returnLastState ? normals(rng, p.batch * p.dim * p.dstate * w) : null;
          tidy(() => {
            const { host, dev } = inputs(p, c.dtype);
            const gHost = tensor(gradOutValues, [p.batch, p.dim, p.seqlen], {
              dtype: c.dtype,
              device: 'cpu',
            });
            const glHost = gradLastValues
              ? tensor(gradLastValues, [p.batch, p.dim, p.dstate], {
                  dtype: stateDType(c.dtype, p.complex),
                  device: 'cpu',
                })
              : null;
            const g = onCpu ? gHost : gHost.to(device);
            const gl = onCpu ? glHost : (glHost?.to(device) ?? null);
            poison(backwardOutputs(p, c.dtype));
            const grads = runBackward(dev, p, g, gl);
            let expected: SelectiveScanGradients;
            if (onCpu) {
              // The CPU backend's float64 backward (itself checked against finite differences
              // below) on exactly the values the tensors hold.
              const rounded = readProblem(host, p);
              const t64 = makeTensors(rounded, 'float64', 'cpu');
              const g64 = tensor(gHost.toArraySync(), gHost.shape, { dtype: 'float64', device: 'cpu' });
              const gl64 = glHost
                ? tensor(glHost.toArraySync(), glHost.shape, {
                    dtype: stateDType('float64', p.complex),
                    device: 'cpu',
                  })
                : null;
              expected = runBackward(t64, rounded, g64, gl64);
            } else {
              expected = runBackward(host, p, gHost, glHost);
            }
            for (const input of SCAN_INPUTS) {
              const actual = gradOf(grads, input);
              if (p[input] === null) {
                expect(actual, `${input} absent, so no gradient — ${ctx(name)}`).toBeNull();
                continue;
              }
              expect(actual, `gradient of ${input} — ${ctx(name)}`).not.toBeNull();
              expect(actual!.shape).toEqual(shapeOf(p, input));
              expect(actual!.dtype).toBe(dtypeOf(p, input, c.dtype));
              const e = toF64(gradOf(expected, input)!);
              // Gradients stored in float32/complex64 (A, D, constant B/C, ...) only see float32 rounding.
              const stored = actual!.dtype;
              const gradDType: ScanDType =
                stored === 'float32' || stored === 'complex64' ? 'float32' : (stored as ScanDType);
              const tol = onCpu
                ? referenceTolerance(gradDType, e)
                : gradTolerance(input, c.dtype as ScanDType, {
                    z: p.z !== null,
                    variableB: p.variableB,
                    variableC: p.variableC,
                  });
              check(`d${input}`, ctx(name), toF64(actual!), e, tol, actual!.shape, isComplexInput(p, input));
            }
          });
        });
      }
    });

    if (onCpu) {
      describe('float64 backward equals finite differences of the oracle', () => {
        // Small problems covering each input and option; dt kept away from the softplus kink.
        const base = { batch: 2, dim: 4, seqlen: 5, dstate: 3, cutoffCases: false } as const;
        const specs: Array<ProblemSpec & { gradLastState: boolean }> = [
          {
            ...base,
            groups: 1,
            complex: false,
            variableB: false,
            variableC: false,
            D: false,
            z: false,
            deltaBias: false,
            deltaSoftplus: false,
            initialState: false,
            gradLastState: false,
          },
          {
            ...base,
            groups: 2,
            complex: false,
            variableB: true,
            variableC: false,
            D: true,
            z: true,
            deltaBias: true,
            deltaSoftplus: true,
            initialState: true,
            gradLastState: true,
          },
          {
            ...base,
            groups: 1,
            complex: false,
            variableB: false,
            variableC: true,
            D: false,
            z: true,
            deltaBias: false,
            deltaSoftplus: true,
            initialState: true,
            gradLastState: false,
          },
          {
            ...base,
            groups: 4,
            complex: false,
            variableB: true,
            variableC: true,
            D: true,
            z: false,
            deltaBias: true,
            deltaSoftplus: false,
            initialState: false,
            gradLastState: true,
          },
          {
            ...base,
            groups: 1,
            complex: true,
            variableB: false,
            variableC: false,
            D: true,
            z: false,
            deltaBias: false,
            deltaSoftplus: false,
            initialState: true,
            gradLastState: true,
          },
          {
            ...base,
            groups: 2,
            complex: true,
            variableB: true,
            variableC: true,
            D: true,
            z: true,
            deltaBias: true,
            deltaSoftplus: true,
            initialState: true,
            gradLastState: true,
          },
          {
            ...base,
            groups: 4,
            complex: true,
            variableB: false,
            variableC: true,
            D: false,
            z: true,
            deltaBias: true,
            deltaSoftplus: true,
            initialState: false,
            gradLastState: false,
          },
        ];
        for (const [i, s] of specs.entries()) {
          const name = `#${i} ${caseName({ ...s, dtype: 'float64', returnLastState: s.gradLastState })}`;
          it(name, () => {
            const rng = rngFor(seed, `fd ${name}`);
            const p = randomProblem(rng, s);
            const gradOut = normals(rng, p.batch * p.dim * p.seqlen);
            const gradLast = s.gradLastState
              ? normals(rng, p.batch * p.dim * p.dstate * (p.complex ? 2 : 1))
              : null;
            const fd = finiteDifferenceGradients(p, gradOut, gradLast);
            tidy(() => {
              const t = makeTensors(p, 'float64', 'cpu');
              const g = tensor(gradOut, [p.batch, p.dim, p.seqlen], { dtype: 'float64', device: 'cpu' });
              const gl = gradLast
                ? tensor(gradLast, [p.batch, p.dim, p.dstate], {
                    dtype: stateDType('float64', p.complex),
                    device: 'cpu',
                  })
                : null;
              const grads = runBackward(t, p, g, gl);
              for (const input of SCAN_INPUTS) {
                const expected = fd[input];
                const actual = gradOf(grads, input);
                if (!expected) {
                  expect(actual).toBeNull();
                  continue;
                }
                // Finite differences are good to ~1e-9 of the largest gradient (see the oracle).
                const tol = { rtol: 1e-6, atol: 1e-7 * Math.max(1, ...Array.from(expected, Math.abs)) };
                check(
                  `d${input} vs finite differences`,
                  ctx(name),
                  toF64(actual!),
                  expected,
                  tol,
                  shapeOf(p, input),
                  isComplexInput(p, input),
                );
              }
              // And the forward in float64 against the oracle, tightly.
              const r = runForward(t, p);
              const o = scanOracle(p);
              check(
                'out (float64)',
                ctx(name),
                toF64(r.out),
                o.out,
                referenceTolerance('float64', o.out),
                r.out.shape,
              );
              check(
                'lastState (float64)',
                ctx(name),
                toF64(r.lastState),
                o.lastState,
                referenceTolerance('float64', o.lastState),
                r.lastState.shape,
                p.complex,
              );
            });
          });
        }
      });
    }

    describe('properties', () => {
      const spec = (over: Partial<ProblemSpec>): ProblemSpec => ({
        batch: 2,
        dim: 8,
        seqlen: 300,
        dstate: 8,
        groups: 2,
        complex: false,
        variableB: true,
        variableC: true,
        D: true,
        z: true,
        deltaBias: true,
        deltaSoftplus: true,
        initialState: true,
        cutoffCases: true,
        ...over,
      });

      for (const complex of [false, true]) {
        for (const dtype of ['float32', 'bfloat16'] as const) {
          const name = `deterministic backward is bitwise equal across two runs (${complex ? 'complex' : 'real'}, ${dtype})`;
          it(name, () => {
            const rng = rngFor(seed, name);
            const p = randomProblem(rng, spec({ complex, seqlen: onCpu ? 300 : 2500 }));
            const gradOut = normals(rng, p.batch * p.dim * p.seqlen);
            const gradLast = normals(rng, p.batch * p.dim * p.dstate * (complex ? 2 : 1));
            tidy(() => {
              const { dev } = inputs(p, dtype);
              const g = tensor(gradOut, [p.batch, p.dim, p.seqlen], { dtype, device });
              const gl = tensor(gradLast, [p.batch, p.dim, p.dstate], {
                dtype: stateDType(dtype, complex),
                device,
              });
              const first = runBackward(dev, p, g, gl, true);
              const second = runBackward(dev, p, g, gl, true);
              for (const input of SCAN_INPUTS) {
                const a = gradOf(first, input)!;
                const b = gradOf(second, input)!;
                expect(
                  Buffer.from(b.bytesSync()).equals(Buffer.from(a.bytesSync())),
                  `d${input} bitwise — ${ctx(name)}`,
                ).toBe(true);
              }
            });
          });
        }
      }

      it('gradLastState flows into every gradient it should reach', () => {
        // Backward with and without dL/dlastState: the difference must be exactly the
        // backward of the lastState term alone (linearity), checked against the reference.
        const name = 'gradLastState flows';
        const rng = rngFor(seed, name);
        const p = randomProblem(
          rng,
          spec({ seqlen: 16, dim: 4, dstate: 4, complex: true, cutoffCases: false }),
        );
        const gradOut = normals(rng, p.batch * p.dim * p.seqlen);
        const gradLast = normals(rng, p.batch * p.dim * p.dstate * 2);
        tidy(() => {
          const { host, dev } = inputs(p, 'float32');
          const g = tensor(gradOut, [p.batch, p.dim, p.seqlen], { device });
          const gl = tensor(gradLast, [p.batch, p.dim, p.dstate], { dtype: 'complex64', device });
          const withLast = runBackward(dev, p, g, gl);
          const without = runBackward(dev, p, g, null);
          // Reference for the lastState contribution alone: float64 FD (cpu) or the CPU backend.
          const rounded = readProblem(host, p);
          let expectedDelta: Record<string, Float64Array>;
          if (onCpu) {
            // L = <gradLastState, lastState> alone: gradOut's part cancels in the difference.
            const fd = finiteDifferenceGradients(rounded, new Float64Array(gradOut.length), gradLast);
            expectedDelta = Object.fromEntries(SCAN_INPUTS.map((k) => [k, fd[k]!]));
          } else {
            const gh = tensor(gradOut, [p.batch, p.dim, p.seqlen], { device: 'cpu' });
            const glh = tensor(gradLast, [p.batch, p.dim, p.dstate], { dtype: 'complex64', device: 'cpu' });
            const a = runBackward(host, p, gh, glh);
            const b = runBackward(host, p, gh, null);
            expectedDelta = Object.fromEntries(
              SCAN_INPUTS.map((k) => {
                const x = toF64(gradOf(a, k)!);
                const y = toF64(gradOf(b, k)!);
                return [k, x.map((v, i) => v - y[i])];
              }),
            );
          }
          for (const input of SCAN_INPUTS) {
            const x = toF64(gradOf(withLast, input)!);
            const y = toF64(gradOf(without, input)!);
            const diff = x.map((v, i) => v - y[i]);
            const e = expectedDelta[input];
            // Differences of float32 gradients: tolerance relative to the gradients themselves.
            const scale = Math.max(1, ...Array.from(x, Math.abs));
            check(
              `d${input}(with gradLastState) - d${input}(without)`,
              ctx(name),
              diff,
              e,
              { rtol: 1e-3, atol: 1e-5 * scale },
              shapeOf(p, input),
              isComplexInput(p, input),
            );
          }
          // dInitialState is the lastState gradient carried back through every step: it must change.
          const dInit = toF64(withLast.dInitialState!);
          const dInit0 = toF64(without.dInitialState!);
          expect(
            dInit.some((v, i) => v !== dInit0[i]),
            ctx(name),
          ).toBe(true);
        });
      });

      it('the saved-for-backward path gives the gradients of the recompute path', () => {
        const name = 'saved path';
        const rng = rngFor(seed, name);
        const p = randomProblem(rng, spec({ seqlen: onCpu ? 700 : 4100, complex: false }));
        const gradOut = normals(rng, p.batch * p.dim * p.seqlen);
        tidy(() => {
          const { dev } = inputs(p, 'float32');
          const opts = scanOptions(dev, p);
          const v = validateSelectiveScan('test', dev.u, dev.delta, dev.A, dev.B, dev.C, opts);
          const fwd = selectiveScanForward('test', v, { lastState: true, saveForBackward: true });
          const plain = runForward(dev, p);
          const plainOut = toF64(plain.out);
          check(
            'out with saveForBackward',
            ctx(name),
            toF64(fwd.out),
            plainOut,
            referenceTolerance('float32', plainOut),
            fwd.out.shape,
          );
          const g = tensor(gradOut, [p.batch, p.dim, p.seqlen], { device });
          const withSaved = selectiveScanBackward(g, dev.u, dev.delta, dev.A, dev.B, dev.C, {
            ...opts,
            saved: fwd.saved,
          });
          const recomputed = runBackward(dev, p, g, null);
          for (const input of SCAN_INPUTS) {
            const e = toF64(gradOf(recomputed, input)!);
            check(
              `d${input} with saved`,
              ctx(name),
              toF64(gradOf(withSaved, input)!),
              e,
              referenceTolerance('float32', e),
              shapeOf(p, input),
            );
          }
        });
      });

      const stepSpecs: Array<ProblemSpec & { dtype: InputDType }> = [
        { ...spec({ seqlen: 12, complex: false }), dtype: 'float32' },
        {
          ...spec({ seqlen: 9, complex: true, variableB: false, groups: 4, z: false, initialState: false }),
          dtype: 'float32',
        },
        {
          ...spec({
            seqlen: 7,
            complex: false,
            variableB: false,
            variableC: false,
            groups: 1,
            D: false,
            deltaBias: false,
          }),
          dtype: 'float16',
        },
        {
          ...spec({ seqlen: 10, complex: true, variableC: false, deltaSoftplus: false, deltaBias: false }),
          dtype: 'bfloat16',
        },
      ];
      for (const [i, s] of stepSpecs.entries()) {
        const name = `#${i} ${caseName({ ...s, returnLastState: true })}`;
        it(`decode step, one token at a time, equals the scan and the oracle: ${name}`, () => {
          const p = randomProblem(rngFor(seed, `step ${name}`), s);
          tidy(() => {
            const { host, dev } = inputs(p, s.dtype);
            const rounded = readProblem(host, p);
            const scan = runForward(dev, p);
            const scanOut = toF64(scan.out);
            const oracle = scanOracle(rounded);
            // A copy: the step updates its state in place.
            const state = dev.initialState
              ? tensor(dev.initialState.toArraySync(), dev.initialState.shape, {
                  dtype: dev.initialState.dtype,
                  device,
                })
              : tensor(
                  new Float64Array(p.batch * p.dim * p.dstate * (p.complex ? 2 : 1)),
                  [p.batch, p.dim, p.dstate],
                  { dtype: stateDType(s.dtype, p.complex), device },
                );
            const stepOut = new Float64Array(p.batch * p.dim * p.seqlen);
            for (let t = 0; t < p.seqlen; t++) {
              const token = tokenTensors(rounded, dev, t, s.dtype, device);
              const out = selectiveScanStep(state, token.x, token.delta, dev.A, token.B, token.C, {
                D: dev.D,
                z: token.z,
                deltaBias: dev.deltaBias,
                deltaSoftplus: p.deltaSoftplus,
              });
              expect(out.shape).toEqual([p.batch, p.dim]);
              expect(out.dtype).toBe(s.dtype);
              const o = toF64(out);
              for (let bd = 0; bd < p.batch * p.dim; bd++) stepOut[bd * p.seqlen + t] = o[bd];
            }
            const tol = onCpu ? referenceTolerance(s.dtype, oracle.out) : OUT_TOLERANCE[s.dtype as ScanDType];
            check('step outputs vs the scan', ctx(name), stepOut, scanOut, tol, scan.out.shape);
            check(
              'step outputs vs the oracle',
              ctx(name),
              stepOut,
              oracle.out,
              onCpu ? tol : OUT_TOLERANCE[s.dtype as ScanDType],
              scan.out.shape,
            );
            const stateTol = onCpu
              ? referenceTolerance('float32', oracle.lastState)
              : OUT_TOLERANCE[s.dtype as ScanDType];
            check(
              'state after the last step vs lastState',
              ctx(name),
              toF64(state),
              toF64(scan.lastState),
              stateTol,
              state.shape,
              p.complex,
            );
            check(
              'state after the last step vs the oracle',
              ctx(name),
              toF64(state),
              oracle.lastState,
              stateTol,
              state.shape,
              p.complex,
            );
          });
        });
      }

      it('a forward and backward inside tidy leave memoryStats where they started', () => {
        const name = 'memory';
        const rng = rngFor(seed, name);
        const p = randomProblem(rng, spec({ seqlen: 64, complex: true }));
        const gradOut = normals(rng, p.batch * p.dim * p.seqlen);
        const key = device === 'cpu' ? 'cpu' : device.includes(':') ? device : `${device}:0`;
        const before = memoryStats()[key] ?? { tensors: 0, bytes: 0 };
        let during = 0;
        tidy(() => {
          const { dev } = inputs(p, 'float32');
          const r = runForward(dev, p);
          runBackward(dev, p, tensor(gradOut, r.out.shape, { device }), null);
          during = memoryStats()[key].tensors;
        });
        const after = memoryStats()[key];
        expect(during).toBeGreaterThan(before.tensors);
        expect(after.tensors, ctx(name)).toBe(before.tensors);
        expect(after.bytes, ctx(name)).toBe(before.bytes);
      });

      if (reuses) {
        it("poisoning reaches the op's outputs (the allocator hands the NaN blocks back)", () => {
          const p = randomProblem(rngFor(seed, 'poison'), spec({ seqlen: 333, complex: true }));
          tidy(() => {
            inputs(p, 'bfloat16');
            for (const o of [...forwardOutputs(p, 'bfloat16'), ...backwardOutputs(p, 'bfloat16')]) {
              poisonAllocatorCache(device, [o]);
              const t = empty(o.shape, { dtype: o.dtype, device });
              const v = t.toArraySync();
              expect(
                v.every(Number.isNaN),
                `a fresh ${o.dtype} ${JSON.stringify(o.shape)} block after poisoning is all NaN`,
              ).toBe(true);
              t.dispose();
            }
          });
        });
      }
    });
  });
}

/** Token t of a problem as step inputs: x, delta, z (batch, dim); variable B/C (batch, groups, dstate). */
function tokenTensors(p: ScanProblem, dev: ScanTensors, t: number, dtype: InputDType, device: string) {
  const { batch, dim, seqlen, dstate, groups } = p;
  const w = p.complex ? 2 : 1;
  const col = (x: Float64Array) => {
    const r = new Float64Array(batch * dim);
    for (let i = 0; i < batch * dim; i++) r[i] = x[i * seqlen + t];
    return r;
  };
  const bc = (x: Float64Array, variable: boolean, full: Tensor) => {
    if (!variable) return full;
    const r = new Float64Array(batch * groups * dstate * w);
    for (let i = 0; i < batch * groups * dstate; i++)
      for (let k = 0; k < w; k++) r[i * w + k] = x[(i * seqlen + t) * w + k];
    return tensor(r, [batch, groups, dstate], { dtype: full.dtype, device });
  };
  return {
    x: tensor(col(p.u), [batch, dim], { dtype, device }),
    delta: tensor(col(p.delta), [batch, dim], { dtype, device }),
    z: p.z ? tensor(col(p.z), [batch, dim], { dtype, device }) : null,
    B: bc(p.B, p.variableB, dev.B),
    C: bc(p.C, p.variableC, dev.C),
  };
}
