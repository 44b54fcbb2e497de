/**
 * An in-memory stand-in for a native addon (the NativeAddon contract), so NativeBackend's
 * packing, memory and fallback logic is tested on machines without a GPU. Memory is a map
 * of handles to byte arrays with the addon's rules: unknown handles and out-of-range
 * accesses throw. Scan calls are recorded, not computed. Model ops are computed: `modelOp`
 * unpacks meta and buffers the way csrc/addon/model_ops.cpp reads them (MODEL_OP_LAYOUT is
 * its table, written out) and runs the CPU kernels on the unpacked views, so a packing
 * mistake shows up as a wrong result.
 */
import type { Backend } from '../../backend';
import { CpuBackend } from '../../cpu/CpuBackend';
import { CpuStorage } from '../../cpu/storage';
import { bytesPerElement, type DType } from '../../dtype';
import type { BufferRef } from '../../kernel_names';
import type { NativeAddon, NativeModelOpLayout, NativeScanLayout } from '../addon';

export const LAYOUT: NativeScanLayout = {
  meta: [
    'batch',
    'dim',
    'seqlen',
    'dstate',
    'groups',
    'dtype',
    'isComplex',
    'variableB',
    'variableC',
    'deltaSoftplus',
    'deterministic',
  ],
  fwd: ['u', 'delta', 'A', 'B', 'C', 'D', 'z', 'deltaBias', 'initialState', 'out', 'lastState', 'saved'],
  bwd: [
    'u',
    'delta',
    'A',
    'B',
    'C',
    'D',
    'z',
    'deltaBias',
    'initialState',
    'saved',
    'gradOut',
    'gradLastState',
    'du',
    'ddelta',
    'dA',
    'dB',
    'dC',
    'dD',
    'dz',
    'dDeltaBias',
    'dInitialState',
  ],
  step: ['x', 'delta', 'A', 'B', 'C', 'D', 'z', 'deltaBias', 'state', 'out'],
};

const UNARY = ['neg', 'exp', 'log', 'sigmoid', 'silu', 'softplus'];
/** csrc/addon/model_op_layout.h, written out (NativeBackend.test.ts compares it with a built addon's). */
export const MODEL_OP_LAYOUT: NativeModelOpLayout = {
  metaLength: 8 + 6 * 18,
  scalarSlots: 8,
  tensorSlots: 6,
  maxRank: 8,
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  opEnums: { Binary: ['add', 'sub', 'mul', 'div'], Unary: UNARY, UnaryGrad: UNARY },
  ops: {
    Binary: { tensors: ['a', 'b', 'out'], optional: [], scalars: ['op'] },
    Unary: { tensors: ['x', 'out'], optional: [], scalars: ['op'] },
    UnaryGrad: { tensors: ['x', 'dy', 'dx'], optional: [], scalars: ['op'] },
    Sum: { tensors: ['x', 'out'], optional: [], scalars: ['axesMask'] },
    StridedCopy: { tensors: ['src', 'dst'], optional: [], scalars: [] },
    MatMul: { tensors: ['a', 'b', 'out'], optional: [], scalars: ['transposeA', 'transposeB'] },
    CausalConv1d: { tensors: ['x', 'weight', 'bias', 'out'], optional: ['bias'], scalars: [] },
    CausalConv1dBackward: {
      tensors: ['x', 'weight', 'dy', 'dx', 'dWeight', 'dBias'],
      optional: ['dBias'],
      scalars: [],
    },
    RMSNorm: { tensors: ['x', 'weight', 'out'], optional: [], scalars: ['eps'] },
    RMSNormBackward: { tensors: ['x', 'weight', 'dy', 'dx', 'dWeight'], optional: [], scalars: ['eps'] },
    Embedding: { tensors: ['weight', 'ids', 'out'], optional: [], scalars: [] },
    EmbeddingBackward: { tensors: ['ids', 'dy', 'dWeight'], optional: [], scalars: [] },
    CrossEntropy: { tensors: ['logits', 'targets', 'loss'], optional: [], scalars: ['ignoreIndex'] },
    CrossEntropyBackward: {
      tensors: ['logits', 'targets', 'dLoss', 'dLogits'],
      optional: [],
      scalars: ['ignoreIndex'],
    },
    AdamWUpdate: {
      tensors: ['param', 'grad', 'm', 'v'],
      optional: ['v'],
      scalars: ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step', 'sgd'],
    },
  },
};

/** The Backend method of each model op. */
const METHOD: Record<string, keyof Backend> = {
  Binary: 'binary',
  Unary: 'unary',
  UnaryGrad: 'unaryGrad',
  Sum: 'sum',
  StridedCopy: 'stridedCopy',
  MatMul: 'matMul',
  CausalConv1d: 'causalConv1d',
  CausalConv1dBackward: 'causalConv1dBackward',
  RMSNorm: 'rmsNorm',
  RMSNormBackward: 'rmsNormBackward',
  Embedding: 'embedding',
  EmbeddingBackward: 'embeddingBackward',
  CrossEntropy: 'crossEntropy',
  CrossEntropyBackward: 'crossEntropyBackward',
  AdamWUpdate: 'adamWUpdate',
};

export interface RecordedCall {
  readonly kernel: 'fwd' | 'bwd' | 'step' | 'model';
  /** The model op's name (kernel 'model'). */
  readonly name?: string;
  readonly device: number;
  readonly meta: Float64Array;
  readonly buffers: BigInt64Array;
}

export class FakeAddon implements NativeAddon {
  readonly memory = new Map<bigint, Uint8Array>();
  readonly #storages = new Map<bigint, CpuStorage>();
  readonly #cpu = new CpuBackend();
  readonly modelOpLayout = MODEL_OP_LAYOUT;
  readonly calls: RecordedCall[] = [];
  readonly buildInfo = { cudaArchitectures: 'fake', kernelSources: 'fake.cu' };
  savedBytesValue = 0;
  #next = 1n;

  constructor(readonly layout: NativeScanLayout = LAYOUT) {}

  #bytes(handle: bigint, offset: number, length: number): Uint8Array {
    const mem = this.memory.get(handle);
    if (mem === undefined) throw new RangeError(`fake: handle ${handle} is not live`);
    if (offset < 0 || offset + length > mem.byteLength)
      throw new RangeError(`fake: [${offset}, ${offset + length}) outside ${mem.byteLength} bytes`);
    return mem.subarray(offset, offset + length);
  }
  #view(v: ArrayBufferView): Uint8Array {
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }

  deviceCount(): number {
    return 1;
  }
  deviceProperties(device: number) {
    return {
      index: device,
      name: 'Fake GPU',
      computeCapability: '9.0',
      totalMemory: 1 << 30,
      multiprocessors: 1,
      driverVersion: 13000,
      runtimeVersion: 13000,
    };
  }
  malloc(_device: number, bytes: number): bigint {
    const h = this.#next++;
    const storage = new CpuStorage(bytes);
    this.#storages.set(h, storage);
    this.memory.set(h, new Uint8Array(storage.buffer, 0, bytes));
    return h;
  }
  free(handle: bigint): void {
    if (!this.memory.delete(handle)) throw new RangeError(`fake: handle ${handle} is not live`);
    this.#storages.delete(handle);
  }
  memoryStats() {
    let live = 0;
    for (const m of this.memory.values()) live += m.byteLength;
    return { liveBytes: live, cachedBytes: 0, reservedBytes: live, peakLiveBytes: live };
  }
  emptyCache(): number {
    return 0;
  }
  copyFromHost(handle: bigint, byteOffset: number, src: ArrayBufferView): void {
    this.#bytes(handle, byteOffset, src.byteLength).set(this.#view(src));
  }
  copyToHost(handle: bigint, byteOffset: number, dst: ArrayBufferView): void {
    this.#view(dst).set(this.#bytes(handle, byteOffset, dst.byteLength));
  }
  async copyToHostAsync<T extends ArrayBufferView>(handle: bigint, byteOffset: number, dst: T): Promise<T> {
    this.copyToHost(handle, byteOffset, dst);
    return dst;
  }
  copyDeviceToDevice(dst: bigint, dstOffset: number, src: bigint, srcOffset: number, bytes: number): void {
    this.#bytes(dst, dstOffset, bytes).set(this.#bytes(src, srcOffset, bytes));
  }
  memset(handle: bigint, byteOffset: number, value: number, bytes: number): void {
    this.#bytes(handle, byteOffset, bytes).fill(value);
  }
  async synchronizeAsync(): Promise<void> {}
  selectiveScanFwd(device: number, meta: Float64Array, buffers: BigInt64Array): void {
    this.calls.push({ kernel: 'fwd', device, meta: meta.slice(), buffers: buffers.slice() });
  }
  selectiveScanBwd(device: number, meta: Float64Array, buffers: BigInt64Array): void {
    this.calls.push({ kernel: 'bwd', device, meta: meta.slice(), buffers: buffers.slice() });
  }
  selectiveScanStep(device: number, meta: Float64Array, buffers: BigInt64Array): void {
    this.calls.push({ kernel: 'step', device, meta: meta.slice(), buffers: buffers.slice() });
  }
  savedBytes(): number {
    return this.savedBytesValue;
  }
  matMulBackend(): string {
    return 'fake (CPU kernels)';
  }

  modelOp(device: number, name: string, meta: Float64Array, buffers: BigInt64Array): void {
    const L = MODEL_OP_LAYOUT;
    const spec = L.ops[name];
    if (spec === undefined) throw new RangeError(`fake modelOp: unknown op '${name}'`);
    this.calls.push({ kernel: 'model', name, device, meta: meta.slice(), buffers: buffers.slice() });
    const args: Record<string, unknown> = {};
    spec.scalars.forEach((key, i) => {
      args[key] = meta[i];
    });
    spec.tensors.forEach((key, i) => {
      const handle = buffers[2 * i];
      if (handle === 0n) {
        if (!spec.optional.includes(key)) throw new TypeError(`fake modelOp(${name}): '${key}' is required`);
        args[key] = null;
        return;
      }
      const storage = this.#storages.get(handle);
      if (storage === undefined)
        throw new RangeError(`fake modelOp(${name}): '${key}' handle ${handle} is not live`);
      const base = L.scalarSlots + i * (2 + 2 * L.maxRank);
      const dtype = L.dtypes[meta[base]] as DType;
      const rank = meta[base + 1];
      const shape = Array.from(meta.subarray(base + 2, base + 2 + rank));
      const strides = Array.from(meta.subarray(base + 2 + L.maxRank, base + 2 + L.maxRank + rank));
      const size = bytesPerElement(dtype);
      const byteOffset = Number(buffers[2 * i + 1]);
      const last = shape.some((n) => n === 0) ? -1 : shape.reduce((s, n, d) => s + (n - 1) * strides[d], 0);
      if (byteOffset % size !== 0 || byteOffset + (last + 1) * size > storage.byteLength)
        throw new RangeError(
          `fake modelOp(${name}): '${key}' reaches outside its ${storage.byteLength} bytes`,
        );
      args[key] = { storage, dtype, shape, strides, offset: byteOffset / size } satisfies BufferRef;
    });
    if (name === 'Binary') args.op = L.opEnums.Binary[meta[0]];
    if (name === 'Unary' || name === 'UnaryGrad') args.op = UNARY[meta[0]];
    if (name === 'Sum') {
      const rank = (args.x as BufferRef).shape.length;
      args.axes = Array.from({ length: rank }, (_, i) => i).filter((i) => (meta[0] >> i) & 1);
    }
    for (const flag of ['transposeA', 'transposeB', 'sgd']) if (flag in args) args[flag] = args[flag] === 1;
    if (name === 'MatMul') {
      const [a, out] = [args.a as BufferRef, args.out as BufferRef];
      [args.batch, args.m, args.n] = out.shape;
      args.k = args.transposeA ? a.shape[1] : a.shape[2];
    }
    (this.#cpu[METHOD[name]] as (a: unknown) => void).call(this.#cpu, args);
  }
}
