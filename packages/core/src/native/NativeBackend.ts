/**
 * The Backend over a native addon: one class for CUDA now and ROCm later (same addon API,
 * see addon.ts). Memory goes through the addon's caching allocator by handle; the scan
 * kernels get their arguments as two reusable typed arrays; the model ops run native kernels
 * through model_ops.ts (HostFallback only for views of more axes than the kernels take).
 * Work is queued on one stream per device; only read(), readSync() and synchronize() wait.
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
import { NativeModelOps } from './model_ops';
import { NativeStorage } from './NativeStorage';
import { type BwdSlot, type FwdSlot, ScanArgs, SLOTS, type StepSlot } from './scan_args';

export interface NativeBackendOptions {
  /** Runs the model ops that have no GPU kernel yet (the CPU backend). */
  readonly hostFallback: Backend;
  /** One line for describe(): e.g. the runtime and driver versions. */
  readonly version?: string;
}

export class NativeBackend implements Backend {
  readonly #fwd: ScanArgs<FwdSlot>;
  readonly #bwd: ScanArgs<BwdSlot>;
  readonly #step: ScanArgs<StepSlot>;
  readonly #fallback: HostFallback;
  readonly #ops: NativeModelOps;
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
    this.#ops = new NativeModelOps(addon, this.#fallback);
    this.#version = options.version ?? type;
  }

  /**
   * How many model ops ran on the host: only views with more axes than the native kernels take
   * (after merging axes) do; a test can assert it stays 0.
   */
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
        details: {
          computeCapability: p.computeCapability,
          multiprocessors: p.multiprocessors,
          matmul: this.addon.matMulBackend(),
        },
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

  // ---- model ops: native kernels (model_ops.ts) ----
  binary(args: BinaryArgs): void {
    this.#ops.binary(args);
  }
  unary(args: UnaryArgs): void {
    this.#ops.unary(args);
  }
  unaryGrad(args: UnaryGradArgs): void {
    this.#ops.unaryGrad(args);
  }
  sum(args: SumArgs): void {
    this.#ops.sum(args);
  }
  stridedCopy(args: StridedCopyArgs): void {
    const { src, dst } = args;
    // The common case (contiguous(), concat of contiguous parts): same dtype, both contiguous
    // over one shape, so the element order matches and one device-to-device copy does it.
    if (NativeModelOps.isPlainCopy(args)) {
      const size = bytesPerElement(dst.dtype);
      const bytes = dst.shape.reduce((n, s) => n * s, 1) * size;
      this.copy(dst.storage, dst.offset * size, src.storage, src.offset * size, bytes);
      return;
    }
    this.#ops.stridedCopy(args);
  }
  matMul(args: MatMulArgs): void {
    this.#ops.matMul(args);
  }
  causalConv1d(args: CausalConv1dArgs): void {
    this.#ops.causalConv1d(args);
  }
  causalConv1dBackward(args: CausalConv1dBackwardArgs): void {
    this.#ops.causalConv1dBackward(args);
  }
  rmsNorm(args: RMSNormArgs): void {
    this.#ops.rmsNorm(args);
  }
  rmsNormBackward(args: RMSNormBackwardArgs): void {
    this.#ops.rmsNormBackward(args);
  }
  embedding(args: EmbeddingArgs): void {
    this.#ops.embedding(args);
  }
  embeddingBackward(args: EmbeddingBackwardArgs): void {
    this.#ops.embeddingBackward(args);
  }
  crossEntropy(args: CrossEntropyArgs): void {
    this.#ops.crossEntropy(args);
  }
  crossEntropyBackward(args: CrossEntropyBackwardArgs): void {
    this.#ops.crossEntropyBackward(args);
  }
  adamWUpdate(args: AdamWUpdateArgs): void {
    this.#ops.adamWUpdate(args);
  }
}
