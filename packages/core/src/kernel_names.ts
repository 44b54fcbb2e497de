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

// ---------------------------------------------------------------------------------------------
// Model ops (the nn issue). float32 and float64 unless noted; every BufferRef of these kernels
// may carry non-contiguous strides only where the comment says so.

export const Binary = 'Binary';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
/**
 * out = a op b, elementwise. `a` and `b` arrive already broadcast to out's shape: their
 * `shape` equals out's and a broadcast axis has stride 0. out is contiguous.
 */
export interface BinaryArgs {
  readonly op: BinaryOp;
  readonly a: BufferRef;
  readonly b: BufferRef;
  readonly out: BufferRef;
}

export const Unary = 'Unary';
export const UnaryGrad = 'UnaryGrad';
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sigmoid' | 'silu' | 'softplus';
/** out = f(x), contiguous, same shape. softplus uses the scan's cut-off (x > 20 → x). */
export interface UnaryArgs {
  readonly op: UnaryOp;
  readonly x: BufferRef;
  readonly out: BufferRef;
}
/** dx = dy · f'(x): one fused pass instead of a chain of primitives for each gate. */
export interface UnaryGradArgs {
  readonly op: UnaryOp;
  readonly x: BufferRef;
  readonly dy: BufferRef;
  readonly dx: BufferRef;
}

export const Sum = 'Sum';
/** out (x's shape with every axis in `axes` set to 1, contiguous) = Σ over `axes` of x. */
export interface SumArgs {
  readonly x: BufferRef;
  readonly axes: readonly number[];
  readonly out: BufferRef;
}

export const StridedCopy = 'StridedCopy';
/**
 * dst[i] = src[i] over one shape, both with arbitrary strides (0 allowed in src) and offsets,
 * converting between real dtypes (rounding to nearest even for 16-bit). One kernel serves
 * permute/transpose, contiguous, broadcastTo, slice, concat, the slice gradient and casts.
 */
export interface StridedCopyArgs {
  readonly src: BufferRef;
  readonly dst: BufferRef;
}

export const MatMul = 'MatMul';
/**
 * out (batch, M, N) = op(a) · op(b), a (batch, M, K) or (batch, K, M) if transposeA,
 * b (batchB, K, N) or (batchB, N, K) if transposeB, batchB ∈ {1, batch} (1: shared weights).
 * All contiguous; accumulation in the input's precision (float64 on the CPU for both).
 */
export interface MatMulArgs {
  readonly a: BufferRef;
  readonly b: BufferRef;
  readonly out: BufferRef;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

export const CausalConv1d = 'CausalConv1d';
export const CausalConv1dBackward = 'CausalConv1dBackward';
/**
 * Depthwise causal conv: out[b,c,t] = bias[c] + Σ_k weight[c,k] · x[b,c,t-(width-1)+k]
 * (x is zero before t = 0). x, out (batch, channels, seqlen); weight (channels, width ≤ 8).
 */
export interface CausalConv1dArgs {
  readonly x: BufferRef;
  readonly weight: BufferRef;
  readonly bias: BufferRef | null;
  readonly out: BufferRef;
}
export interface CausalConv1dBackwardArgs {
  readonly x: BufferRef;
  readonly weight: BufferRef;
  readonly dy: BufferRef;
  readonly dx: BufferRef;
  readonly dWeight: BufferRef;
  /** Present exactly when the forward had a bias. */
  readonly dBias: BufferRef | null;
}

export const RMSNorm = 'RMSNorm';
export const RMSNormBackward = 'RMSNormBackward';
/** Over the last axis: out = x / sqrt(mean(x²) + eps) · weight. x, out (rows, dim); weight (dim). */
export interface RMSNormArgs {
  readonly x: BufferRef;
  readonly weight: BufferRef;
  readonly out: BufferRef;
  readonly eps: number;
}
/** Recomputes the row's rms from x (cheaper to redo than to keep a tensor per call). */
export interface RMSNormBackwardArgs {
  readonly x: BufferRef;
  readonly weight: BufferRef;
  readonly dy: BufferRef;
  readonly dx: BufferRef;
  readonly dWeight: BufferRef;
  readonly eps: number;
}

export const Embedding = 'Embedding';
export const EmbeddingBackward = 'EmbeddingBackward';
/**
 * out (n, dim) = weight[ids] with weight (vocab, dim). ids (n) hold integer token ids in a
 * float32/float64 tensor (exact below 2^24), checked by the op to lie in [0, vocab).
 */
export interface EmbeddingArgs {
  readonly weight: BufferRef;
  readonly ids: BufferRef;
  readonly out: BufferRef;
}
/** dWeight (vocab, dim) = scatter-add of dy (n, dim) rows at ids; fully overwritten. */
export interface EmbeddingBackwardArgs {
  readonly ids: BufferRef;
  readonly dy: BufferRef;
  readonly dWeight: BufferRef;
}

export const CrossEntropy = 'CrossEntropy';
export const CrossEntropyBackward = 'CrossEntropyBackward';
/**
 * loss (scalar, shape []) = mean over rows whose target ≠ ignoreIndex of
 * logsumexp(logits[r]) − logits[r, target[r]]. logits (rows, classes); targets (rows) as
 * integer ids in a float tensor. No counted row: loss 0.
 */
export interface CrossEntropyArgs {
  readonly logits: BufferRef;
  readonly targets: BufferRef;
  readonly loss: BufferRef;
  readonly ignoreIndex: number;
}
/** dLogits = (softmax − onehot) · dLoss / count on counted rows, 0 on ignored rows. */
export interface CrossEntropyBackwardArgs {
  readonly logits: BufferRef;
  readonly targets: BufferRef;
  readonly dLoss: BufferRef;
  readonly dLogits: BufferRef;
  readonly ignoreIndex: number;
}

export const AdamWUpdate = 'AdamWUpdate';
/**
 * One AdamW step in place on param, m, v (same shape, contiguous) from grad:
 * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p -= lr·(m̂/(√v̂ + eps) + weightDecay·p),
 * with m̂ = m / (1 − β1^step), v̂ = v / (1 − β2^step). SGD with momentum is the case
 * `sgd: true`: m = momentum·m + g; p -= lr·(m + weightDecay·p) (β1 = momentum).
 */
export interface AdamWUpdateArgs {
  readonly param: BufferRef;
  readonly grad: BufferRef;
  readonly m: BufferRef;
  readonly v: BufferRef | null;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly step: number;
  readonly sgd: boolean;
}
