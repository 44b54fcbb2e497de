/**
 * Packs a model op's arguments into the two typed arrays of the addon's `modelOp(device, name,
 * meta, buffers)` (wire format: kernels-cuda/csrc/addon/model_op_layout.h). Slot positions
 * come from the names the addon exports in `modelOpLayout`, so a reordered native table cannot
 * silently shift arguments; a name this core needs and the addon lacks fails at load time.
 */
import { bytesPerElement, type RealDType } from '../dtype';
import type { Storage } from '../kernel_names';
import type { NativeModelOpLayout } from './addon';
import { NativeStorage } from './NativeStorage';

/** What a kernel sees of a tensor: storage, dtype, shape, element strides and offset. */
export interface OpTensor {
  readonly storage: Storage;
  readonly dtype: RealDType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  /** In elements of `dtype`. */
  readonly offset: number;
}

export type OpScalar = number | boolean | string;

/** Every op core sends, with the tensor and scalar slots it fills. */
export const MODEL_OPS = {
  Binary: { tensors: ['a', 'b', 'out'], scalars: ['op'] },
  Unary: { tensors: ['x', 'out'], scalars: ['op'] },
  UnaryGrad: { tensors: ['x', 'dy', 'dx'], scalars: ['op'] },
  Sum: { tensors: ['x', 'out'], scalars: ['axesMask'] },
  StridedCopy: { tensors: ['src', 'dst'], scalars: [] },
  MatMul: { tensors: ['a', 'b', 'out'], scalars: ['transposeA', 'transposeB'] },
  CausalConv1d: { tensors: ['x', 'weight', 'bias', 'out'], scalars: [] },
  CausalConv1dBackward: { tensors: ['x', 'weight', 'dy', 'dx', 'dWeight', 'dBias'], scalars: [] },
  RMSNorm: { tensors: ['x', 'weight', 'out'], scalars: ['eps'] },
  RMSNormBackward: { tensors: ['x', 'weight', 'dy', 'dx', 'dWeight'], scalars: ['eps'] },
  Embedding: { tensors: ['weight', 'ids', 'out'], scalars: [] },
  EmbeddingBackward: { tensors: ['ids', 'dy', 'dWeight'], scalars: [] },
  CrossEntropy: { tensors: ['logits', 'targets', 'loss'], scalars: ['ignoreIndex'] },
  CrossEntropyBackward: { tensors: ['logits', 'targets', 'dLoss', 'dLogits'], scalars: ['ignoreIndex'] },
  AdamWUpdate: {
    tensors: ['param', 'grad', 'm', 'v'],
    scalars: ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step', 'sgd'],
  },
} as const;

export type ModelOpName = keyof typeof MODEL_OPS;
type Spec = (typeof MODEL_OPS)[ModelOpName];
export type TensorsOf<N extends ModelOpName> = {
  readonly [K in (typeof MODEL_OPS)[N]['tensors'][number]]: OpTensor | null;
};
export type ScalarsOf<N extends ModelOpName> = {
  readonly [K in (typeof MODEL_OPS)[N]['scalars'][number]]: OpScalar;
};

interface Slots {
  readonly tensors: Record<string, number>;
  readonly scalars: Record<string, number>;
  readonly enumValues?: readonly string[];
}

function layoutError(what: string): Error {
  return new Error(
    `NativeBackend: the native addon's modelOpLayout ${what} (built from other sources than this @sscan/core expects: rebuild it)`,
  );
}

/** One reusable pair of arrays: calls are synchronous, so no two overlap. */
export class ModelOpArgs {
  readonly meta: Float64Array;
  readonly buffers: BigInt64Array;
  /** Rank limit of one tensor (views of higher rank after merging axes go to the host fallback). */
  readonly maxRank: number;
  readonly #slots = new Map<string, Slots>();
  readonly #dtypes: readonly string[];
  readonly #tensorMeta: number;
  readonly #scalarSlots: number;

  constructor(layout: NativeModelOpLayout) {
    this.maxRank = layout.maxRank;
    this.#dtypes = layout.dtypes;
    this.#scalarSlots = layout.scalarSlots;
    this.#tensorMeta = 2 + 2 * layout.maxRank;
    if (layout.metaLength !== layout.scalarSlots + layout.tensorSlots * this.#tensorMeta)
      throw layoutError(`metaLength ${layout.metaLength} does not match its slot counts`);
    for (const [name, spec] of Object.entries(MODEL_OPS) as [ModelOpName, Spec][]) {
      const native = layout.ops[name];
      if (native === undefined) throw layoutError(`has no op '${name}'`);
      const find = (kind: 'tensors' | 'scalars', wanted: readonly string[]) => {
        const out: Record<string, number> = {};
        for (const slot of wanted) {
          const i = native[kind].indexOf(slot);
          if (i < 0)
            throw layoutError(`op ${name} has no ${kind === 'tensors' ? 'tensor' : 'scalar'} slot '${slot}'`);
          out[slot] = i;
        }
        return out;
      };
      this.#slots.set(name, {
        tensors: find('tensors', spec.tensors),
        scalars: find('scalars', spec.scalars),
        enumValues: layout.opEnums[name],
      });
    }
    this.meta = new Float64Array(layout.metaLength);
    this.buffers = new BigInt64Array(2 * layout.tensorSlots);
  }

  /** Fills meta and buffers for one call of `name` (absent tensors: null). */
  pack<N extends ModelOpName>(name: N, tensors: TensorsOf<N>, scalars: ScalarsOf<N>): this {
    const slots = this.#slots.get(name) as Slots;
    this.meta.fill(0);
    this.buffers.fill(0n);
    for (const [key, i] of Object.entries(slots.scalars)) {
      const v = (scalars as Record<string, OpScalar>)[key];
      let value: number;
      if (typeof v === 'string') {
        value = slots.enumValues?.indexOf(v) ?? -1;
        if (value < 0) throw layoutError(`has no value '${v}' for ${name}.${key}`);
      } else value = Number(v);
      this.meta[i] = value;
    }
    for (const [key, i] of Object.entries(slots.tensors)) {
      const t = (tensors as Record<string, OpTensor | null>)[key];
      if (t === null) continue;
      if (t.shape.length > this.maxRank)
        throw new RangeError(
          `${name}: argument '${key}' has rank ${t.shape.length}, more than the addon's ${this.maxRank}`,
        );
      const dtype = this.#dtypes.indexOf(t.dtype);
      if (dtype < 0) throw layoutError(`has no dtype '${t.dtype}'`);
      const base = this.#scalarSlots + i * this.#tensorMeta;
      this.meta[base] = dtype;
      this.meta[base + 1] = t.shape.length;
      for (let d = 0; d < t.shape.length; d++) {
        this.meta[base + 2 + d] = t.shape[d];
        this.meta[base + 2 + this.maxRank + d] = t.strides[d];
      }
      this.buffers[2 * i] = NativeStorage.handleOf(t.storage, key);
      this.buffers[2 * i + 1] = BigInt(t.offset * bytesPerElement(t.dtype));
    }
    return this;
  }
}
