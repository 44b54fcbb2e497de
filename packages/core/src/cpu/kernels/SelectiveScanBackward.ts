/**
 * SelectiveScanBackward, pure TypeScript: gradients of every input of the scan (math in
 * scan_backward_rows.ts), float64 throughout, rounded once on store.
 *
 * Nothing is saved by the forward (its `saved` is null). Each row recomputes its recurrence
 * chunk by chunk (four states at a time) from checkpoints of h, and sweeps each chunk backwards:
 * one exp per state update for rows of one chunk (seqlen ≤ SCAN_CHUNK, 2048), two for longer
 * rows (the checkpoint pass). No seqlen × dstate tensor anywhere; per thread about 26 × chunk
 * float64s (34 complex) plus dstate × seqlen/chunk checkpoints.
 *
 * Determinism, for any thread count: the work units are fixed slices of consecutive channels of
 * one (batch, group), their number a function of the shape only. A slice writes its own rows of
 * du/ddelta/dz/dInitialState, its rows' float64 partial sums of the reduced gradients (dA,
 * constant dB/dC, dD, dDeltaBias), and its own float64 partial of the variable dB/dC block of its
 * (batch, group). The caller then adds partials in a fixed order (batch, then slice).
 */
import type { SelectiveScanBackwardArgs } from '../../kernel_names';
import type { Claim } from '../thread_pool';
import { runParallel } from '../thread_pool';
import { type BackwardJob, type BackwardLib, backwardLib } from './scan_backward_rows';
import { optionalRealView, realView, rowKind, scanJob, view } from './scan_job';
import type { NumArray, RowKind } from './scan_math';
import type { RealArray } from './scan_rows';

/**
 * Slices per (batch, group): about UNIT_TARGET units in all, so that up to that many threads
 * find work, but at most MAX_SLICES, each slice costing one float64 partial of its dB/dC block
 * (variable B/C). Partial memory is then at most max(UNIT_TARGET, batch·groups) blocks.
 */
const UNIT_TARGET = 16;
const MAX_SLICES = 8;

/**
 * Worker-safe kernel (self-contained: see thread_pool.ts). One unit = one slice of channels; a
 * row runs its chunks last to first, carrying λ, from checkpoints of h taken by a forward pass
 * (skipped when the row is a single chunk, the common case: its checkpoint is h_0).
 */
export function selectiveScanBackwardKernel(job: BackwardJob, claim: Claim, lib: BackwardLib): void {
  const L = job.seqlen;
  const N = job.dstate;
  const K = job.chunk;
  const w = job.isComplex ? 2 : 1;
  const chunks = Math.ceil(L / K);
  const perGroup = job.dim / job.groups;
  const s = lib.makeRowScratch(K, N, job.isComplex);
  const bs = lib.makeBackScratch(K, L, N, job.isComplex);
  const { h, u, y, dtRaw, tmp: z } = s;
  const { g, dy, du, ddt, ckpt, lam } = bs;
  for (let unit = claim(); unit >= 0; unit = claim()) {
    const bg = Math.floor(unit / job.slices); // = b·groups + group
    const b = Math.floor(bg / job.groups);
    const d0 = (bg % job.groups) * perGroup + (unit % job.slices) * job.sliceChannels;
    const d1 = Math.min((bg % job.groups) * perGroup + perGroup, d0 + job.sliceChannels);
    const sliceOff = unit * N * L * w;
    for (let d = d0; d < d1; d++) {
      const r = b * job.dim + d;
      lib.loadInitialState(job, r, s);
      ckpt.set(h, 0);
      for (let c = 0; c + 1 < chunks; c++) {
        lib.prepareRow(job, r, c * K, K, s, lib);
        lib.scanRowY(job, r, c * K, K, s, lib); // advances h to the next chunk's start
        ckpt.set(h, (c + 1) * h.length);
      }
      for (let i = 0; i < lam.length; i++)
        lam[i] = job.gradLastState ? job.gradLastState[r * lam.length + i] : 0;
      for (const part of [job.partA, job.partB, job.partC]) part?.fill(0, r * N * w, (r + 1) * N * w);
      const Dd = job.D ? job.D[d] : 0;
      let sumD = 0;
      let sumBias = 0;
      for (let c = chunks - 1; c >= 0; c--) {
        const t0 = c * K;
        const len = Math.min(K, L - t0);
        lib.prepareRow(job, r, t0, len, s, lib);
        lib.readRow(job.ioKind, job.gradOut, r * L + t0, len, g, 0, job.tables);
        if (job.z) lib.readRow(job.ioKind, job.z, r * L + t0, len, z, 0, job.tables);
        for (let t = 0; t < len; t++) {
          dy[t] = job.z ? g[t] * lib.silu(z[t]) : g[t];
          du[t] = dy[t] * Dd;
          sumD += dy[t] * u[t];
          ddt[t] = 0;
          y[t] = 0;
        }
        if (job.isComplex) lib.backwardStatesComplex(job, r, c, len, sliceOff, s, bs, lib);
        else lib.backwardStatesReal(job, r, c, len, sliceOff, s, bs, lib);
        if (job.dz) {
          const dz = z; // z is not needed after this: its gradient overwrites the row in place
          for (let t = 0; t < len; t++) {
            const pre = (job.isComplex ? 2 * y[t] : y[t]) + Dd * u[t];
            dz[t] = g[t] * pre * lib.siluGrad(z[t]);
          }
          lib.writeRow(job.ioKind, dz, 0, len, job.dz, r * L + t0, s.f32, s.u32);
        }
        for (let t = 0; t < len; t++) {
          if (job.deltaSoftplus) ddt[t] *= lib.softplusGrad(dtRaw[t]);
          sumBias += ddt[t];
        }
        lib.writeRow(job.ioKind, du, 0, len, job.du, r * L + t0, s.f32, s.u32);
        lib.writeRow(job.ioKind, ddt, 0, len, job.ddelta, r * L + t0, s.f32, s.u32);
      }
      if (job.dInitialState)
        for (let i = 0; i < lam.length; i++) job.dInitialState[r * lam.length + i] = lam[i];
      if (job.partD) job.partD[r] = sumD;
      if (job.partBias) job.partBias[r] = sumBias;
    }
  }
}

function shared64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * Math.max(1, length)));
}

/** out[i·stride + j] = Σ_b part[(b·dim + i)·stride + j] for a (dim, stride) output: batch in order. */
function reduceOverBatch(part: Float64Array, batch: number, perBatch: number, out: RealArray): void {
  for (let i = 0; i < perBatch; i++) {
    let acc = 0;
    for (let b = 0; b < batch; b++) acc += part[b * perBatch + i];
    out[i] = acc;
  }
}

/** Variable dB/dC: each (batch, group) block = Σ over its slices, in slice order, then stored. */
function reduceSlices(
  part: Float64Array,
  blocks: number,
  slices: number,
  blockSize: number,
  kind: RowKind,
  out: NumArray,
): void {
  const acc = new Float64Array(blockSize);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let k = 0; k < blocks; k++) {
    acc.fill(0);
    for (let sl = 0; sl < slices; sl++) {
      const off = (k * slices + sl) * blockSize;
      for (let i = 0; i < blockSize; i++) acc[i] += part[off + i];
    }
    backwardLib.writeRow(kind, acc, 0, blockSize, out, k * blockSize, f32, u32);
  }
}

export function selectiveScanBackwardCpu(args: SelectiveScanBackwardArgs): void {
  const { batch, dim, seqlen: L, dstate: N, groups, isComplex } = args;
  const w = isComplex ? 2 : 1;
  const rows = batch * dim;
  const perGroup = dim / groups;
  const wanted = Math.min(MAX_SLICES, Math.ceil(UNIT_TARGET / (batch * groups)));
  const sliceChannels = Math.ceil(perGroup / wanted);
  const slices = Math.ceil(perGroup / sliceChannels);
  const sliceBlock = N * L * w; // one (batch, group) block of variable B/C
  const job: BackwardJob = {
    ...scanJob(args),
    gradOut: view(args.gradOut),
    gradLastState: optionalRealView(args.gradLastState),
    du: view(args.du),
    ddelta: view(args.ddelta),
    dz: args.dz ? view(args.dz) : null,
    dInitialState: optionalRealView(args.dInitialState),
    partA: shared64(rows * N * w),
    partB: args.variableB ? null : shared64(rows * N * w),
    partC: args.variableC ? null : shared64(rows * N * w),
    partD: args.dD ? shared64(rows) : null,
    partBias: args.dDeltaBias ? shared64(rows) : null,
    sliceB: args.variableB ? shared64(batch * groups * slices * sliceBlock) : null,
    sliceC: args.variableC ? shared64(batch * groups * slices * sliceBlock) : null,
    slices,
    sliceChannels,
  };
  // Work in state updates: a forward recompute plus the reverse sweep, about two forwards.
  const work = 2 * rows * L * N * (isComplex ? 3 : 1);
  runParallel(selectiveScanBackwardKernel, job, batch * groups * slices, backwardLib, work);

  reduceOverBatch(job.partA, batch, dim * N * w, realView(args.dA));
  if (job.partB) reduceOverBatch(job.partB, batch, dim * N * w, realView(args.dB));
  if (job.partC) reduceOverBatch(job.partC, batch, dim * N * w, realView(args.dC));
  if (job.partD && args.dD) reduceOverBatch(job.partD, batch, dim, realView(args.dD));
  if (job.partBias && args.dDeltaBias) reduceOverBatch(job.partBias, batch, dim, realView(args.dDeltaBias));
  if (job.sliceB)
    reduceSlices(job.sliceB, batch * groups, slices, sliceBlock, rowKind(args.dB.dtype), view(args.dB));
  if (job.sliceC)
    reduceSlices(job.sliceC, batch * groups, slices, sliceBlock, rowKind(args.dC.dtype), view(args.dC));
}
