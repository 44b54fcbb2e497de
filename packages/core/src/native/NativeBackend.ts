/**
 * The Backend over a native addon: one class for CUDA now and ROCm later (same addon API,
 * see addon.ts). Memory goes through the addon's caching allocator by handle; the scan
 * kernels get their arguments as two reusable typed arrays; model ops without a GPU kernel
 * yet run through HostFallback. Work is queued on one stream per device; only read(),
 * readSync() and synchronize() wait.
 */
import type { Backend, BackendMemoryStats, DeviceDescription } from '../backend';
import type { DeviceType } from '../device';
import { bytesPerElement } from '../dtype';
import type {
  AdamWUpdateArgs,
  BinaryArgs,
  CausalConv1dArgs,
  CausalConv1dBackwardArgs,
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  EmbeddingArgs,
  EmbeddingBackwardArgs,
  MatMulArgs,
  RMSNormArgs,
  RMSNormBackwardArgs,
  SelectiveScanArgs,
  SelectiveScanAttrs,
  SelectiveScanBackwardArgs,
  SelectiveScanResult,
  SelectiveScanStepArgs,
  Storage,
  StridedCopyArgs,
  SumArgs,
  UnaryArgs,
  UnaryGradArgs,
} from '../kernel_names';
import type { NativeAddon } from './addon';
import { HostFallback } from './host_fallback';
import { NativeStorage } from './NativeStorage';
import { type BwdSlot, type FwdSlot, ScanArgs, SLOTS, type StepSlot } from './scan_args';

export interface NativeBackendOptions {
  /** Runs the model ops that have no GPU kernel yet (the CPU backend). */
  readonly hostFallback: Backend;
  /** One line for describe(): e.g. the runtime and driver versions. */
  readonly version?: string;
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

export class NativeBackend implements Backend {
  readonly #fwd: ScanArgs<FwdSlot>;
  readonly #bwd: ScanArgs<BwdSlot>;
  readonly #step: ScanArgs<StepSlot>;
  readonly #fallback: HostFallback;
  readonly #version: string;

  constructor(
    readonly addon: NativeAddon,
    readonly type: Exclude<DeviceType, 'cpu'>,
    options: NativeBackendOptions,
  ) {
    this.#fwd = new ScanArgs(addon.layout, 'fwd', SLOTS.FWD);
    this.#bwd = new ScanArgs(addon.layout, 'bwd', SLOTS.BWD);
    this.#step = new ScanArgs(addon.layout, 'step', SLOTS.STEP);
    this.#fallback = new HostFallback(this, options.hostFallback);
    this.#version = options.version ?? type;
  }

  /** How many model ops ran on the host for want of a GPU kernel. */
  get hostFallbackCount(): number {
    return this.#fallback.count;
  }

  describe(): { version: string; devices: DeviceDescription[] } {
    const devices: DeviceDescription[] = [];
    for (let i = 0; i < this.deviceCount(); i++) {
      const p = this.addon.deviceProperties(i);
      devices.push({
        index: i,
        name: p.name,
        totalMemory: p.totalMemory,
        details: { computeCapability: p.computeCapability, multiprocessors: p.multiprocessors },
      });
    }
    return { version: this.#version, devices };
  }

  deviceCount(): number {
    return this.addon.deviceCount();
  }

  // ---- memory ----
  allocate(device: number, byteLength: number): Storage {
    return new NativeStorage(this.addon.malloc(device, byteLength), device, byteLength);
  }

  release(storage: Storage): void {
    this.addon.free(NativeStorage.handleOf(storage, 'storage'));
  }

  write(dst: Storage, byteOffset: number, src: Uint8Array): void {
    this.addon.copyFromHost(NativeStorage.handleOf(dst, 'dst'), byteOffset, src);
  }

  read(src: Storage, byteOffset: number, byteLength: number): Promise<Uint8Array> {
    return this.addon.copyToHostAsync(
      NativeStorage.handleOf(src, 'src'),
      byteOffset,
      new Uint8Array(byteLength),
    );
  }

  readSync(src: Storage, byteOffset: number, byteLength: number): Uint8Array {
    const out = new Uint8Array(byteLength);
    this.addon.copyToHost(NativeStorage.handleOf(src, 'src'), byteOffset, out);
    return out;
  }

  copy(dst: Storage, dstOffset: number, src: Storage, srcOffset: number, byteLength: number): void {
    this.addon.copyDeviceToDevice(
      NativeStorage.handleOf(dst, 'dst'),
      dstOffset,
      NativeStorage.handleOf(src, 'src'),
      srcOffset,
      byteLength,
    );
  }

  memoryStats(): BackendMemoryStats[] {
    const stats: BackendMemoryStats[] = [];
    for (let device = 0; device < this.deviceCount(); device++) {
      const s = this.addon.memoryStats(device);
      stats.push({ device, liveBytes: s.liveBytes, cachedBytes: s.cachedBytes });
    }
    return stats;
  }

  emptyCache(): void {
    this.addon.emptyCache();
  }

  synchronize(device: number): Promise<void> {
    return this.addon.synchronizeAsync(device);
  }

  // ---- the scan kernels ----
  #setAttrs<S extends string>(
    a: ScanArgs<S>,
    fn: string,
    attrs: SelectiveScanAttrs,
    dtype: SelectiveScanArgs['u']['dtype'],
  ): ScanArgs<S> {
    return a
      .reset()
      .setMeta('batch', attrs.batch)
      .setMeta('dim', attrs.dim)
      .setMeta('seqlen', attrs.seqlen)
      .setMeta('dstate', attrs.dstate)
      .setMeta('groups', attrs.groups)
      .setDType(fn, 'u', dtype)
      .setMeta('isComplex', attrs.isComplex)
      .setMeta('variableB', attrs.variableB)
      .setMeta('variableC', attrs.variableC)
      .setMeta('deltaSoftplus', attrs.deltaSoftplus);
  }

  selectiveScan(args: SelectiveScanArgs): SelectiveScanResult {
    const a = this.#setAttrs(this.#fwd, 'selectiveScan', args, args.u.dtype);
    a.set('u', args.u).set('delta', args.delta).set('A', args.A).set('B', args.B).set('C', args.C);
    a.set('D', args.D)
      .set('z', args.z)
      .set('deltaBias', args.deltaBias)
      .set('initialState', args.initialState);
    a.set('out', args.out).set('lastState', args.lastState);
    const device = args.u.storage.device;
    let saved: NativeStorage | null = null;
    if (args.saveForBackward) {
      const bytes = this.addon.savedBytes(a.meta);
      if (bytes > 0) saved = this.allocate(device, bytes) as NativeStorage;
    }
    a.setStorage('saved', saved);
    try {
      this.addon.selectiveScanFwd(device, a.meta, a.buffers);
    } catch (err) {
      if (saved !== null) this.release(saved);
      throw err;
    }
    return { saved };
  }

  selectiveScanBackward(args: SelectiveScanBackwardArgs): void {
    const a = this.#setAttrs(this.#bwd, 'selectiveScanBackward', args, args.u.dtype).setMeta(
      'deterministic',
      args.deterministic,
    );
    a.set('u', args.u).set('delta', args.delta).set('A', args.A).set('B', args.B).set('C', args.C);
    a.set('D', args.D)
      .set('z', args.z)
      .set('deltaBias', args.deltaBias)
      .set('initialState', args.initialState);
    a.setStorage('saved', args.saved === null ? null : (args.saved as NativeStorage));
    a.set('gradOut', args.gradOut).set('gradLastState', args.gradLastState);
    a.set('du', args.du).set('ddelta', args.ddelta).set('dA', args.dA).set('dB', args.dB).set('dC', args.dC);
    a.set('dD', args.dD)
      .set('dz', args.dz)
      .set('dDeltaBias', args.dDeltaBias)
      .set('dInitialState', args.dInitialState);
    this.addon.selectiveScanBwd(args.u.storage.device, a.meta, a.buffers);
  }

  selectiveScanStep(args: SelectiveScanStepArgs): void {
    const a = this.#setAttrs(this.#step, 'selectiveScanStep', { ...args, seqlen: 1 }, args.x.dtype);
    a.set('x', args.x).set('delta', args.delta).set('A', args.A).set('B', args.B).set('C', args.C);
    a.set('D', args.D)
      .set('z', args.z)
      .set('deltaBias', args.deltaBias)
      .set('state', args.state)
      .set('out', args.out);
    this.addon.selectiveScanStep(args.x.storage.device, a.meta, a.buffers);
  }

  // ---- model ops: host fallback until each gets a GPU kernel (see host_fallback.ts) ----
  binary(args: BinaryArgs): void {
    this.#fallback.run(args, ['out'], (h) => this.#fallback.host.binary(h));
  }
  unary(args: UnaryArgs): void {
    this.#fallback.run(args, ['out'], (h) => this.#fallback.host.unary(h));
  }
  unaryGrad(args: UnaryGradArgs): void {
    this.#fallback.run(args, ['dx'], (h) => this.#fallback.host.unaryGrad(h));
  }
  sum(args: SumArgs): void {
    this.#fallback.run(args, ['out'], (h) => this.#fallback.host.sum(h));
  }
  stridedCopy(args: StridedCopyArgs): void {
    const { src, dst } = args;
    // The common case (contiguous(), concat of contiguous parts): same dtype, both contiguous
    // over one shape, so the element order matches and one device-to-device copy does it.
    if (
      src.dtype === dst.dtype &&
      isContiguous(src.shape, src.strides) &&
      isContiguous(dst.shape, dst.strides)
    ) {
      const size = bytesPerElement(dst.dtype);
      const bytes = dst.shape.reduce((n, s) => n * s, 1) * size;
      this.copy(dst.storage, dst.offset * size, src.storage, src.offset * size, bytes);
      return;
    }
    this.#fallback.run(args, ['dst'], (h) => this.#fallback.host.stridedCopy(h));
  }
  matMul(args: MatMulArgs): void {
    this.#fallback.run(args, ['out'], (h) => this.#fallback.host.matMul(h));
  }
  causalConv1d(args: CausalConv1dArgs): void {
    this.#fallback.run(args, ['out'], (h) => this.#fallback.host.causalConv1d(h));
  }
  causalConv1dBackward(args: CausalConv1dBackwardArgs): void {
    this.#fallback.run(args, ['dx', 'dWeight', 'dBias'], (h) => this.#fallback.host.causalConv1dBackward(h));
  }
  rmsNorm(args: RMSNormArgs): void {
    this.#fallback.run(args, ['out'], (h) => this.#fallback.host.rmsNorm(h));
  }
  rmsNormBackward(args: RMSNormBackwardArgs): void {
    this.#fallback.run(args, ['dx', 'dWeight'], (h) => this.#fallback.host.rmsNormBackward(h));
  }
  embedding(args: EmbeddingArgs): void {
    this.#fallback.run(args, ['out'], (h) => this.#fallback.host.embedding(h));
  }
  embeddingBackward(args: EmbeddingBackwardArgs): void {
    this.#fallback.run(args, ['dWeight'], (h) => this.#fallback.host.embeddingBackward(h));
  }
  crossEntropy(args: CrossEntropyArgs): void {
    this.#fallback.run(args, ['loss'], (h) => this.#fallback.host.crossEntropy(h));
  }
  crossEntropyBackward(args: CrossEntropyBackwardArgs): void {
    this.#fallback.run(args, ['dLogits'], (h) => this.#fallback.host.crossEntropyBackward(h));
  }
  adamWUpdate(args: AdamWUpdateArgs): void {
    this.#fallback.run(args, ['param', 'm', 'v'], (h) => this.#fallback.host.adamWUpdate(h));
  }
}
