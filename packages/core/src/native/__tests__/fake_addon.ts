/**
 * An in-memory stand-in for a native addon (the NativeAddon contract), so NativeBackend's
 * packing, memory and fallback logic is tested on machines without a GPU. Memory is a map
 * of handles to byte arrays with the addon's rules: unknown handles and out-of-range
 * accesses throw. Scan calls are recorded, not computed.
 */
import type { NativeAddon, NativeScanLayout } from '../addon';

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

export interface RecordedCall {
  readonly kernel: 'fwd' | 'bwd' | 'step';
  readonly device: number;
  readonly meta: Float64Array;
  readonly buffers: BigInt64Array;
}

export class FakeAddon implements NativeAddon {
  readonly memory = new Map<bigint, Uint8Array>();
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
    this.memory.set(h, new Uint8Array(bytes));
    return h;
  }
  free(handle: bigint): void {
    if (!this.memory.delete(handle)) throw new RangeError(`fake: handle ${handle} is not live`);
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
}
