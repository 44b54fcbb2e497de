/**
 * The pure-TypeScript CPU backend: the readable reference every other backend is checked
 * against, and the backend of machines without a usable GPU. Kernels live one per file in
 * `kernels/`, named after kernel_names.ts.
 */
import { availableParallelism } from 'node:os';
import type { Backend, BackendMemoryStats, DeviceDescription } from '../backend';
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
  SelectiveScanBackwardArgs,
  SelectiveScanResult,
  SelectiveScanStepArgs,
  Storage,
  StridedCopyArgs,
  SumArgs,
  UnaryArgs,
  UnaryGradArgs,
} from '../kernel_names';
import { adamWUpdateCpu } from './kernels/AdamWUpdate';
import { binaryCpu } from './kernels/Binary';
import { causalConv1dCpu } from './kernels/CausalConv1d';
import { causalConv1dBackwardCpu } from './kernels/CausalConv1dBackward';
import { crossEntropyCpu } from './kernels/CrossEntropy';
import { crossEntropyBackwardCpu } from './kernels/CrossEntropyBackward';
import { embeddingCpu } from './kernels/Embedding';
import { embeddingBackwardCpu } from './kernels/EmbeddingBackward';
import { matMulCpu } from './kernels/MatMul';
import { rmsNormCpu } from './kernels/RMSNorm';
import { rmsNormBackwardCpu } from './kernels/RMSNormBackward';
import { selectiveScanCpu } from './kernels/SelectiveScan';
import { selectiveScanBackwardCpu } from './kernels/SelectiveScanBackward';
import { selectiveScanStepCpu } from './kernels/SelectiveScanStep';
import { stridedCopyCpu } from './kernels/StridedCopy';
import { sumCpu } from './kernels/Sum';
import { unaryCpu } from './kernels/Unary';
import { unaryGradCpu } from './kernels/UnaryGrad';
import { CpuStorage, capacityFor } from './storage';
import { cachedCpuBytes, clearCpuStorageCache, offerBuffer, takeCachedBuffer } from './storage_cache';

export class CpuBackend implements Backend {
  readonly type = 'cpu' as const;
  #liveBytes = 0;

  describe(): { version: string; devices: DeviceDescription[] } {
    return {
      version: `node ${process.versions.node}`,
      devices: [{ index: 0, name: `${process.arch} CPU`, details: { threads: availableParallelism() } }],
    };
  }

  deviceCount(): number {
    return 1;
  }

  allocate(_device: number, byteLength: number): Storage {
    const s = new CpuStorage(byteLength, takeCachedBuffer(capacityFor(byteLength)) ?? undefined);
    this.#liveBytes += byteLength;
    return s;
  }

  release(storage: Storage): void {
    this.#liveBytes -= storage.byteLength;
    offerBuffer((storage as CpuStorage).buffer); // kept only when setCpuStorageCache() allows
  }

  write(dst: Storage, byteOffset: number, src: Uint8Array): void {
    new Uint8Array((dst as CpuStorage).buffer, byteOffset, src.byteLength).set(src);
  }

  async read(src: Storage, byteOffset: number, byteLength: number): Promise<Uint8Array> {
    return this.readSync(src, byteOffset, byteLength);
  }

  readSync(src: Storage, byteOffset: number, byteLength: number): Uint8Array {
    return new Uint8Array((src as CpuStorage).buffer, byteOffset, byteLength).slice();
  }

  copy(dst: Storage, dstOffset: number, src: Storage, srcOffset: number, byteLength: number): void {
    const from = new Uint8Array((src as CpuStorage).buffer, srcOffset, byteLength);
    new Uint8Array((dst as CpuStorage).buffer, dstOffset, byteLength).set(from);
  }

  memoryStats(): BackendMemoryStats[] {
    // Released SharedArrayBuffers go to the garbage collector, unless setCpuStorageCache() keeps some.
    return [{ device: 0, liveBytes: this.#liveBytes, cachedBytes: cachedCpuBytes() }];
  }

  emptyCache(): void {
    clearCpuStorageCache();
  }

  async synchronize(): Promise<void> {}

  selectiveScan(args: SelectiveScanArgs): SelectiveScanResult {
    return selectiveScanCpu(args);
  }

  selectiveScanBackward(args: SelectiveScanBackwardArgs): void {
    selectiveScanBackwardCpu(args);
  }

  selectiveScanStep(args: SelectiveScanStepArgs): void {
    selectiveScanStepCpu(args);
  }

  // ---- model ops: one kernel file each under kernels/ ----
  binary(args: BinaryArgs): void {
    binaryCpu(args);
  }
  unary(args: UnaryArgs): void {
    unaryCpu(args);
  }
  unaryGrad(args: UnaryGradArgs): void {
    unaryGradCpu(args);
  }
  sum(args: SumArgs): void {
    sumCpu(args);
  }
  stridedCopy(args: StridedCopyArgs): void {
    stridedCopyCpu(args);
  }
  matMul(args: MatMulArgs): void {
    matMulCpu(args);
  }
  causalConv1d(args: CausalConv1dArgs): void {
    causalConv1dCpu(args);
  }
  causalConv1dBackward(args: CausalConv1dBackwardArgs): void {
    causalConv1dBackwardCpu(args);
  }
  rmsNorm(args: RMSNormArgs): void {
    rmsNormCpu(args);
  }
  rmsNormBackward(args: RMSNormBackwardArgs): void {
    rmsNormBackwardCpu(args);
  }
  embedding(args: EmbeddingArgs): void {
    embeddingCpu(args);
  }
  embeddingBackward(args: EmbeddingBackwardArgs): void {
    embeddingBackwardCpu(args);
  }
  crossEntropy(args: CrossEntropyArgs): void {
    crossEntropyCpu(args);
  }
  crossEntropyBackward(args: CrossEntropyBackwardArgs): void {
    crossEntropyBackwardCpu(args);
  }
  adamWUpdate(args: AdamWUpdateArgs): void {
    adamWUpdateCpu(args);
  }
}
