/**
 * Packs the scan kernels' arguments into the two typed arrays the addon reads (layout:
 * kernels-cuda/csrc/addon/scan_layout.h). Slot indices come from the names the addon
 * exports, so a reordered native layout cannot silently shift arguments; a missing name
 * fails at load time.
 */
import { bytesPerElement, type DType } from '../dtype';
import type { BufferRef } from '../kernel_names';
import type { NativeScanLayout } from './addon';
import { NativeStorage } from './NativeStorage';

const META = [
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
] as const;
const INPUTS = ['u', 'delta', 'A', 'B', 'C', 'D', 'z', 'deltaBias', 'initialState'] as const;
const FWD = [...INPUTS, 'out', 'lastState', 'saved'] as const;
const BWD = [
  ...INPUTS,
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
] as const;
const STEP = ['x', 'delta', 'A', 'B', 'C', 'D', 'z', 'deltaBias', 'state', 'out'] as const;

export type MetaName = (typeof META)[number];
export type FwdSlot = (typeof FWD)[number];
export type BwdSlot = (typeof BWD)[number];
export type StepSlot = (typeof STEP)[number];

/** The u/delta/z dtype codes of sscan::DType. */
const DTYPE_CODES: Partial<Record<DType, number>> = { float32: 0, float16: 1, bfloat16: 2 };

function indexOf<N extends string>(
  fn: string,
  table: string,
  names: readonly string[],
  wanted: readonly N[],
): Record<N, number> {
  const out = {} as Record<N, number>;
  for (const name of wanted) {
    const i = names.indexOf(name);
    if (i < 0)
      throw new Error(
        `${fn}: the native addon's layout.${table} has no slot '${name}' (built from other sources than this @sscan/core expects: rebuild it)`,
      );
    out[name] = i;
  }
  return out;
}

/** One reusable pair of arrays per kernel: calls are synchronous, so no two overlap. */
export class ScanArgs<S extends string> {
  readonly meta: Float64Array;
  readonly buffers: BigInt64Array;
  readonly #slot: Record<S, number>;
  readonly #metaAt: Record<MetaName, number>;

  constructor(layout: NativeScanLayout, table: 'fwd' | 'bwd' | 'step', slots: readonly S[]) {
    this.#metaAt = indexOf('NativeBackend', 'meta', layout.meta, META);
    this.#slot = indexOf('NativeBackend', table, layout[table], slots);
    this.meta = new Float64Array(layout.meta.length);
    this.buffers = new BigInt64Array(2 * layout[table].length);
  }

  /** Clears every slot to absent and every meta entry to 0. */
  reset(): this {
    this.meta.fill(0);
    this.buffers.fill(0n);
    return this;
  }

  setMeta(name: MetaName, value: number | boolean): this {
    this.meta[this.#metaAt[name]] = typeof value === 'boolean' ? Number(value) : value;
    return this;
  }

  setDType(fn: string, arg: string, dtype: DType): this {
    const code = DTYPE_CODES[dtype];
    if (code === undefined)
      throw new TypeError(
        `${fn}: argument '${arg}' must be float32, float16 or bfloat16 on a GPU, got ${dtype}`,
      );
    return this.setMeta('dtype', code);
  }

  set(slot: S, ref: BufferRef | null): this {
    if (ref === null) return this;
    const i = this.#slot[slot];
    this.buffers[2 * i] = NativeStorage.handleOf(ref.storage, slot);
    this.buffers[2 * i + 1] = BigInt(ref.offset * bytesPerElement(ref.dtype));
    return this;
  }

  setStorage(slot: S, storage: NativeStorage | null): this {
    if (storage === null) return this;
    const i = this.#slot[slot];
    this.buffers[2 * i] = NativeStorage.handleOf(storage, slot);
    this.buffers[2 * i + 1] = 0n;
    return this;
  }
}

export const SLOTS = { FWD, BWD, STEP } as const;
