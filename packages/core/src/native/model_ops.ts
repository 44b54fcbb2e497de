/**
 * The model ops of a NativeBackend (kernel_names.ts, "Model ops") on the device: each Backend
 * method turns its BufferRefs into the views the native kernels take, packs them
 * (model_op_args.ts) and calls the addon's `modelOp`. Views are simplified first the way the
 * CPU kernels do it (cpu/kernels/strided.ts `collapse`): axes every operand walks
 * contiguously are merged and size-1 axes dropped, so the kernels index few, long axes; ops
 * that need contiguous tensors get them as flat or (rows, dim) views.
 *
 * Only a view that still has more axes than the addon's maxRank after merging runs through
 * the host fallback; `HostFallback.count` stays 0 otherwise.
 */
import type { Backend } from '../backend';
import { collapse } from '../cpu/kernels/strided';
import { componentDType, isComplex } from '../dtype';
import type {
  AdamWUpdateArgs,
  BinaryArgs,
  BufferRef,
  CausalConv1dArgs,
  CausalConv1dBackwardArgs,
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  EmbeddingArgs,
  EmbeddingBackwardArgs,
  MatMulArgs,
  RMSNormArgs,
  RMSNormBackwardArgs,
  StridedCopyArgs,
  SumArgs,
  UnaryArgs,
  UnaryGradArgs,
} from '../kernel_names';
import type { NativeAddon } from './addon';
import type { HostFallback } from './host_fallback';
import {
  ModelOpArgs,
  type ModelOpName,
  type OpTensor,
  type ScalarsOf,
  type TensorsOf,
} from './model_op_args';

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** ref seen as a contiguous tensor of `shape` (same elements, same order). */
function view(ref: BufferRef, shape: readonly number[] = ref.shape): OpTensor {
  return {
    storage: ref.storage,
    dtype: componentDType(ref.dtype),
    shape,
    strides: contiguousStrides(shape),
    offset: ref.offset,
  };
}

/** ref with explicit strides over `shape`. */
function strided(ref: BufferRef, shape: readonly number[], strides: readonly number[]): OpTensor {
  return { storage: ref.storage, dtype: componentDType(ref.dtype), shape, strides, offset: ref.offset };
}

/** ref as a (rows, last axis) matrix. */
function rows(ref: BufferRef): OpTensor {
  const last = ref.shape.length > 0 ? ref.shape[ref.shape.length - 1] : 1;
  return view(ref, [last === 0 ? 0 : numel(ref.shape) / last, last]);
}

export class NativeModelOps {
  readonly #args: ModelOpArgs;

  constructor(
    readonly addon: NativeAddon,
    readonly fallback: HostFallback,
  ) {
    this.#args = new ModelOpArgs(addon.modelOpLayout);
  }

  get #host(): Backend {
    return this.fallback.host;
  }

  #run<N extends ModelOpName>(name: N, device: number, tensors: TensorsOf<N>, scalars: ScalarsOf<N>): void {
    const a = this.#args.pack(name, tensors, scalars);
    this.addon.modelOp(device, name, a.meta, a.buffers);
  }

  #fits(shape: readonly number[]): boolean {
    return shape.length <= this.#args.maxRank;
  }

  binary(args: BinaryArgs): void {
    const { a, b, out } = args;
    const c = collapse(out.shape, [a.strides, b.strides, contiguousStrides(out.shape)]);
    if (!this.#fits(c.shape)) {
      this.fallback.run(args, ['out'], (h) => this.#host.binary(h));
      return;
    }
    this.#run(
      'Binary',
      out.storage.device,
      {
        a: strided(a, c.shape, c.strides[0]),
        b: strided(b, c.shape, c.strides[1]),
        out: strided(out, c.shape, c.strides[2]),
      },
      { op: args.op },
    );
  }

  unary(args: UnaryArgs): void {
    const n = [numel(args.out.shape)];
    this.#run(
      'Unary',
      args.out.storage.device,
      { x: view(args.x, n), out: view(args.out, n) },
      { op: args.op },
    );
  }

  unaryGrad(args: UnaryGradArgs): void {
    const n = [numel(args.dx.shape)];
    this.#run(
      'UnaryGrad',
      args.dx.storage.device,
      { x: view(args.x, n), dy: view(args.dy, n), dx: view(args.dx, n) },
      { op: args.op },
    );
  }

  sum(args: SumArgs): void {
    const { x, axes, out } = args;
    if (numel(out.shape) === 0) return;
    // out seen in x's shape: stride 0 on the reduced axes, so merging never mixes kept and reduced
    const outInX = new Array<number>(x.shape.length);
    let s = 1;
    for (let i = x.shape.length - 1; i >= 0; i--) {
      outInX[i] = axes.includes(i) ? 0 : s;
      if (!axes.includes(i)) s *= x.shape[i];
    }
    const c = collapse(x.shape, [x.strides, outInX]);
    if (!this.#fits(c.shape)) {
      this.fallback.run(args, ['out'], (h) => this.#host.sum(h));
      return;
    }
    let mask = 0;
    const outShape = c.shape.map((n, i) => {
      if (c.strides[1][i] !== 0) return n;
      mask |= 1 << i;
      return 1;
    });
    this.#run(
      'Sum',
      x.storage.device,
      { x: strided(x, c.shape, c.strides[0]), out: view(out, outShape) },
      { axesMask: mask },
    );
  }

  /** False: not a plain same-dtype contiguous copy (the caller copies bytes for those). */
  static isPlainCopy({ src, dst }: StridedCopyArgs): boolean {
    return (
      src.dtype === dst.dtype && isContiguous(src.shape, src.strides) && isContiguous(dst.shape, dst.strides)
    );
  }

  stridedCopy(args: StridedCopyArgs): void {
    const { src, dst } = args;
    // complex: each element is an interleaved (re, im) pair; copy it as two reals along a new last axis
    const pair = isComplex(src.dtype);
    const shape = pair ? [...src.shape, 2] : [...src.shape];
    const ss = pair ? [...src.strides.map((x) => 2 * x), 1] : [...src.strides];
    const ds = pair ? [...dst.strides.map((x) => 2 * x), 1] : [...dst.strides];
    const f = pair ? 2 : 1;
    const c = collapse(shape, [ss, ds]);
    if (!this.#fits(c.shape)) {
      this.fallback.run(args, ['dst'], (h) => this.#host.stridedCopy(h));
      return;
    }
    const part = (ref: BufferRef, strides: readonly number[]): OpTensor => ({
      ...strided(ref, c.shape, strides),
      offset: ref.offset * f,
    });
    this.#run(
      'StridedCopy',
      dst.storage.device,
      { src: part(src, c.strides[0]), dst: part(dst, c.strides[1]) },
      {},
    );
  }

  matMul(args: MatMulArgs): void {
    const { batch, m, n, k, transposeA, transposeB } = args;
    const bBatch = args.b.shape[0] === 1 ? 1 : batch;
    this.#run(
      'MatMul',
      args.out.storage.device,
      {
        a: view(args.a, transposeA ? [batch, k, m] : [batch, m, k]),
        b: view(args.b, transposeB ? [bBatch, n, k] : [bBatch, k, n]),
        out: view(args.out, [batch, m, n]),
      },
      { transposeA, transposeB },
    );
  }

  causalConv1d(args: CausalConv1dArgs): void {
    this.#run(
      'CausalConv1d',
      args.x.storage.device,
      {
        x: view(args.x),
        weight: view(args.weight),
        bias: args.bias === null ? null : view(args.bias),
        out: view(args.out),
      },
      {},
    );
  }

  causalConv1dBackward(args: CausalConv1dBackwardArgs): void {
    this.#run(
      'CausalConv1dBackward',
      args.x.storage.device,
      {
        x: view(args.x),
        weight: view(args.weight),
        dy: view(args.dy),
        dx: view(args.dx),
        dWeight: view(args.dWeight),
        dBias: args.dBias === null ? null : view(args.dBias),
      },
      {},
    );
  }

  rmsNorm(args: RMSNormArgs): void {
    this.#run(
      'RMSNorm',
      args.x.storage.device,
      { x: rows(args.x), weight: view(args.weight), out: rows(args.out) },
      { eps: args.eps },
    );
  }

  rmsNormBackward(args: RMSNormBackwardArgs): void {
    this.#run(
      'RMSNormBackward',
      args.x.storage.device,
      {
        x: rows(args.x),
        weight: view(args.weight),
        dy: rows(args.dy),
        dx: rows(args.dx),
        dWeight: view(args.dWeight),
      },
      { eps: args.eps },
    );
  }

  embedding(args: EmbeddingArgs): void {
    const n = numel(args.ids.shape);
    const dim = args.weight.shape[1];
    this.#run(
      'Embedding',
      args.out.storage.device,
      { weight: view(args.weight), ids: view(args.ids, [n]), out: view(args.out, [n, dim]) },
      {},
    );
  }

  embeddingBackward(args: EmbeddingBackwardArgs): void {
    const n = numel(args.ids.shape);
    const dim = args.dWeight.shape[1];
    this.#run(
      'EmbeddingBackward',
      args.dWeight.storage.device,
      { ids: view(args.ids, [n]), dy: view(args.dy, [n, dim]), dWeight: view(args.dWeight) },
      {},
    );
  }

  crossEntropy(args: CrossEntropyArgs): void {
    this.#run(
      'CrossEntropy',
      args.logits.storage.device,
      { logits: view(args.logits), targets: view(args.targets), loss: view(args.loss, []) },
      { ignoreIndex: args.ignoreIndex },
    );
  }

  crossEntropyBackward(args: CrossEntropyBackwardArgs): void {
    this.#run(
      'CrossEntropyBackward',
      args.logits.storage.device,
      {
        logits: view(args.logits),
        targets: view(args.targets),
        dLoss: view(args.dLoss, []),
        dLogits: view(args.dLogits),
      },
      { ignoreIndex: args.ignoreIndex },
    );
  }

  adamWUpdate(args: AdamWUpdateArgs): void {
    const n = [numel(args.param.shape)];
    this.#run(
      'AdamWUpdate',
      args.param.storage.device,
      {
        param: view(args.param, n),
        grad: view(args.grad, n),
        m: view(args.m, n),
        v: args.sgd || args.v === null ? null : view(args.v, n),
      },
      {
        lr: args.lr,
        beta1: args.beta1,
        beta2: args.beta2,
        eps: args.eps,
        weightDecay: args.weightDecay,
        step: args.step,
        sgd: args.sgd,
      },
    );
  }
}
