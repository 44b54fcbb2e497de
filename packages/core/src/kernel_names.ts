/**
 * Every kernel a backend implements, declared once: its name and its arguments.
 * Backends and gradients import these; the public ops in `ops/` validate user input
 * and build these argument objects, so a kernel only ever sees checked input.
 *
 * Buffers arrive as `BufferRef`s: plain storage plus dtype, shape, strides and an element
 * offset. Sizes are JS numbers (exact up to 2^53), so 64-bit sizes pass through unchanged.
 * Outputs are allocated by the caller and must be fully overwritten by the kernel.
 */
import type { DType } from './dtype';

/** Backend-owned memory. Only the backend that allocated it looks inside. */
export interface Storage {
  readonly byteLength: number;
  /** Device index within the backend. */
  readonly device: number;
}

export interface BufferRef {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Element strides; the scan kernels require contiguous row-major buffers. */
  readonly strides: readonly number[];
  /** Offset of the first element, in elements. */
  readonly offset: number;
}

export const SelectiveScan = 'SelectiveScan';
export const SelectiveScanBackward = 'SelectiveScanBackward';
export const SelectiveScanStep = 'SelectiveScanStep';

/** Sizes shared by the scan kernels. */
export interface ScanSizes {
  readonly batch: number;
  readonly dim: number;
  readonly seqlen: number;
  readonly dstate: number;
  /** Divides dim; channel d reads B/C group d / (dim / groups). 1 for constant B and C. */
  readonly groups: number;
}

/**
 * Inputs of the scan (layouts in DESIGN.md):
 *   u, delta, z (batch, dim, seqlen); A (dim, dstate); B, C (dim, dstate) or
 *   (batch, groups, dstate, seqlen); D, deltaBias (dim); initialState (batch, dim, dstate).
 */
export interface SelectiveScanInputs {
  readonly u: BufferRef;
  readonly delta: BufferRef;
  readonly A: BufferRef;
  readonly B: BufferRef;
  readonly C: BufferRef;
  readonly D: BufferRef | null;
  readonly z: BufferRef | null;
  readonly deltaBias: BufferRef | null;
  readonly initialState: BufferRef | null;
}

export interface SelectiveScanAttrs extends ScanSizes {
  readonly deltaSoftplus: boolean;
  /** A, B and C are complex. */
  readonly isComplex: boolean;
  readonly variableB: boolean;
  readonly variableC: boolean;
}

export interface SelectiveScanArgs extends SelectiveScanInputs, SelectiveScanAttrs {
  /** (batch, dim, seqlen), u's dtype. */
  readonly out: BufferRef;
  /** (batch, dim, dstate); null when not requested. */
  readonly lastState: BufferRef | null;
  /** Keep what the backward needs (chunk carries), returned as `saved`. */
  readonly saveForBackward: boolean;
}

export interface SelectiveScanResult {
  /** Backend-private data for the backward, or null. Owned by the caller from here on. */
  readonly saved: Storage | null;
}

export interface SelectiveScanBackwardArgs extends SelectiveScanInputs, SelectiveScanAttrs {
  /** What the forward returned as `saved` (null: the backward recomputes it). */
  readonly saved: Storage | null;
  readonly gradOut: BufferRef;
  readonly gradLastState: BufferRef | null;
  readonly du: BufferRef;
  readonly ddelta: BufferRef;
  readonly dA: BufferRef;
  readonly dB: BufferRef;
  readonly dC: BufferRef;
  /** Present exactly when the matching input is present. */
  readonly dD: BufferRef | null;
  readonly dz: BufferRef | null;
  readonly dDeltaBias: BufferRef | null;
  readonly dInitialState: BufferRef | null;
  /** Bitwise reproducible run to run (fixed reduction order). */
  readonly deterministic: boolean;
}

/**
 * One decode step for every (batch, channel): x, delta, z, out (batch, dim); B, C
 * (batch, groups, dstate) or constant (dim, dstate); state (batch, dim, dstate) updated in place.
 */
export interface SelectiveScanStepArgs extends Omit<ScanSizes, 'seqlen'> {
  readonly deltaSoftplus: boolean;
  readonly isComplex: boolean;
  readonly variableB: boolean;
  readonly variableC: boolean;
  readonly x: BufferRef;
  readonly delta: BufferRef;
  readonly A: BufferRef;
  readonly B: BufferRef;
  readonly C: BufferRef;
  readonly D: BufferRef | null;
  readonly z: BufferRef | null;
  readonly deltaBias: BufferRef | null;
  readonly state: BufferRef;
  readonly out: BufferRef;
}
