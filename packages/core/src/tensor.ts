/**
 * Tensor: a contiguous, typed, device-resident array. Storage belongs to a backend and is
 * shared by views; the Tensor object adds shape, dtype, and the slots autograd uses.
 */
import type { Backend } from './backend';
import { type Device, deviceString, parseDevice } from './device';
import {
  bytesPerElement,
  componentDType,
  type DType,
  decodeInto,
  encodeInto,
  type HostArray,
  isComplex,
  isDType,
  storageView,
} from './dtype';
import { formatShape, invalidType, invalidValue, isNonNegativeInteger } from './errors';
import type { BufferRef } from './kernel_names';
import { finalizer, registerInScope, TensorData } from './memory';
import { getBackend, getBackendByName } from './registry';

export interface TensorOptions {
  dtype?: DType;
  /** 'cpu', 'cuda', 'cuda:1', 'rocm:0'; default: the default backend's first device. */
  device?: string;
  requiresGrad?: boolean;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: Device;
  /** Element offset into the shared storage (views). */
  readonly offset: number;
  requiresGrad: boolean;
  /** Set by `backward` from @sscan/autograd. */
  grad: Tensor | null = null;
  /** The autograd node that produced this tensor (owned by @sscan/autograd). */
  gradFn: unknown = null;
  #data: TensorData | null;

  /** @internal Use `tensor()`, `empty()` or an op to create tensors. */
  constructor(data: TensorData, shape: readonly number[], dtype: DType, offset = 0, requiresGrad = false) {
    this.#data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.device = data.device;
    this.offset = offset;
    this.requiresGrad = requiresGrad;
    finalizer.register(this, data, this);
    registerInScope(this);
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get byteLength(): number {
    return this.numel * bytesPerElement(this.dtype);
  }

  get isDisposed(): boolean {
    return this.#data === null;
  }

  get deviceName(): string {
    return deviceString(this.device);
  }

  /** @internal */
  data(fn = 'Tensor'): TensorData {
    if (this.#data === null) {
      throw new Error(`${fn}: tensor ${this.describe()} was disposed and can no longer be used`);
    }
    return this.#data;
  }

  /** @internal The kernel-facing view of this tensor. */
  ref(fn = 'Tensor'): BufferRef {
    return {
      storage: this.data(fn).storage,
      dtype: this.dtype,
      shape: this.shape,
      strides: contiguousStrides(this.shape),
      offset: this.offset,
    };
  }

  get backend(): Backend {
    return this.data().backend;
  }

  describe(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}, ${deviceString(this.device)})`;
  }

  toString(): string {
    return this.describe();
  }

  dispose(): void {
    if (this.#data === null) return;
    finalizer.unregister(this);
    this.#data.release();
    this.#data = null;
    this.grad?.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Raw stored bytes, after all queued work on the device has finished. */
  async bytes(): Promise<Uint8Array> {
    const d = this.data('Tensor.bytes');
    return d.backend.read(d.storage, this.offset * bytesPerElement(this.dtype), this.byteLength);
  }

  bytesSync(): Uint8Array {
    const d = this.data('Tensor.bytesSync');
    return d.backend.readSync(d.storage, this.offset * bytesPerElement(this.dtype), this.byteLength);
  }

  /**
   * The values: Float64Array for float64/complex128, Float32Array otherwise (16-bit
   * types widened exactly). Complex values are interleaved (re, im).
   */
  async toArray(): Promise<HostArray> {
    return decodeHost(this.dtype, await this.bytes(), this.numel);
  }

  /** Like toArray, blocking until the device is done. */
  toArraySync(): HostArray {
    return decodeHost(this.dtype, this.bytesSync(), this.numel);
  }

  /** Copy to another device (a no-op copy-free view if already there). */
  to(device: string): Tensor {
    const target = parseDevice('Tensor.to', 'device', device);
    const src = this.data('Tensor.to');
    if (target.type === this.device.type && target.index === this.device.index) return this;
    const backend = getBackendByName(target.type, 'Tensor.to');
    checkDeviceIndex('Tensor.to', 'device', backend, target);
    const bytes = src.backend.readSync(
      src.storage,
      this.offset * bytesPerElement(this.dtype),
      this.byteLength,
    );
    const out = allocate(backend, target, this.shape, this.dtype);
    backend.write(out.data().storage, 0, bytes);
    out.requiresGrad = this.requiresGrad;
    return out;
  }

  /** Convert to another dtype (rounding to nearest even for 16-bit types). */
  astype(dtype: DType): Tensor {
    if (!isDType(dtype)) throw invalidType('Tensor.astype', 'dtype', 'a dtype name', dtype);
    if (dtype === this.dtype) return this;
    if (isComplex(dtype) !== isComplex(this.dtype)) {
      throw invalidValue(
        'Tensor.astype',
        'dtype',
        `a ${isComplex(this.dtype) ? 'complex' : 'real'} dtype (${this.dtype} → ${dtype} changes kind)`,
        `'${dtype}'`,
      );
    }
    const values = this.toArraySync();
    return tensor(values, this.shape, { dtype, device: deviceString(this.device) });
  }

  /** A view with a new shape over the same storage. */
  reshape(shape: readonly number[]): Tensor {
    checkShape('Tensor.reshape', 'shape', shape);
    if (numelOf(shape) !== this.numel) {
      throw invalidValue(
        'Tensor.reshape',
        'shape',
        `${this.numel} elements like ${formatShape(this.shape)}`,
        `${formatShape(shape)} (${numelOf(shape)} elements)`,
      );
    }
    const d = this.data('Tensor.reshape');
    d.retain();
    return new Tensor(d, shape, this.dtype, this.offset);
  }
}

function decodeHost(dtype: DType, bytes: Uint8Array, numel: number): HostArray {
  const component = componentDType(dtype);
  const width = isComplex(dtype) ? 2 : 1;
  const copy = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const stored = storageView(dtype, copy.buffer, copy.byteOffset, numel);
  const out = component === 'float64' ? new Float64Array(numel * width) : new Float32Array(numel * width);
  decodeInto(component, stored, 0, numel * width, out);
  return out;
}

export function checkShape(fn: string, arg: string, shape: unknown): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw invalidType(fn, arg, 'an array of non-negative integers', shape);
  }
}

function checkDeviceIndex(fn: string, arg: string, backend: Backend, device: Device): void {
  const count = backend.deviceCount();
  if (device.index >= count) {
    throw invalidValue(
      fn,
      arg,
      `a device index below ${count} (${backend.type} has ${count} device${count === 1 ? '' : 's'})`,
      `'${deviceString(device)}'`,
    );
  }
}

/** Resolve a device option to (backend, device); the default backend if absent. */
export function resolveDevice(fn: string, device: string | undefined): { backend: Backend; device: Device } {
  const parsed = device === undefined ? { type: getBackend(), index: 0 } : parseDevice(fn, 'device', device);
  const backend = getBackendByName(parsed.type, fn);
  checkDeviceIndex(fn, 'device', backend, parsed);
  return { backend, device: parsed };
}

/** @internal A new, uninitialised tensor on `device`. */
export function allocate(backend: Backend, device: Device, shape: readonly number[], dtype: DType): Tensor {
  const storage = backend.allocate(device.index, numelOf(shape) * bytesPerElement(dtype));
  return new Tensor(new TensorData(backend, device, storage), shape, dtype);
}

/** @internal An uninitialised tensor on the same device as `like`. */
export function emptyLike(like: Tensor, shape: readonly number[], dtype: DType): Tensor {
  const d = like.data();
  return allocate(d.backend, d.device, shape, dtype);
}

/** An uninitialised tensor (contents unspecified). */
export function empty(shape: readonly number[], options: TensorOptions = {}): Tensor {
  checkShape('empty', 'shape', shape);
  const dtype = options.dtype ?? 'float32';
  if (!isDType(dtype)) throw invalidType('empty', 'options.dtype', 'a dtype name', dtype);
  const { backend, device } = resolveDevice('empty', options.device);
  const t = allocate(backend, device, shape, dtype);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/**
 * A tensor holding `data` (numbers, row-major; complex: interleaved (re, im), 2·numel values).
 * The data is copied and converted to `dtype` (default float32).
 */
export function tensor(
  data: ArrayLike<number>,
  shape: readonly number[],
  options: TensorOptions = {},
): Tensor {
  const fn = 'tensor';
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
    throw invalidType(fn, 'data', 'an array or typed array of numbers', data);
  }
  checkShape(fn, 'shape', shape);
  const dtype = options.dtype ?? 'float32';
  if (!isDType(dtype))
    throw invalidType(
      fn,
      'options.dtype',
      `one of float32, float64, float16, bfloat16, complex64, complex128`,
      dtype,
    );
  const width = isComplex(dtype) ? 2 : 1;
  const expected = numelOf(shape) * width;
  if (data.length !== expected) {
    throw invalidValue(
      fn,
      'data',
      `${expected} values for shape ${formatShape(shape)}${width === 2 ? ' (complex: interleaved re, im)' : ''}`,
      `${data.length} values`,
    );
  }
  const { backend, device } = resolveDevice(fn, options.device);
  const bytes = new Uint8Array(numelOf(shape) * bytesPerElement(dtype));
  encodeInto(componentDType(dtype), data, 0, expected, storageView(dtype, bytes.buffer, 0, numelOf(shape)));
  const t = allocate(backend, device, shape, dtype);
  backend.write(t.data().storage, 0, bytes);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape('full', 'shape', shape);
  const width = isComplex(options.dtype ?? 'float32') ? 2 : 1;
  const values = new Float64Array(numelOf(shape) * width);
  for (let i = 0; i < values.length; i += width) values[i] = value;
  return tensor(values, shape, options);
}

export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}
