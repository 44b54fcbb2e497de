/**
 * Helpers shared by the CPU model-op kernels: views over a whole storage buffer (so refs with
 * offsets and broadcast strides index it directly) and a row walker for strided layouts.
 */
import { bytesPerElement, type StorageArray, storageView } from '../../dtype';
import type { BufferRef } from '../../kernel_names';
import type { CpuStorage } from '../storage';

/** float32 / float64 element arrays: the dtypes the model-op kernels compute in. */
export type Num = Float32Array | Float64Array;

/** The whole storage as elements of ref's dtype; index it with ref.offset + Σ i·stride. */
export function whole(ref: BufferRef): StorageArray {
  const buffer = (ref.storage as CpuStorage).buffer;
  return storageView(ref.dtype, buffer, 0, Math.floor(buffer.byteLength / bytesPerElement(ref.dtype)));
}

/** `whole` for the real float types (the ops validate dtypes before a kernel runs). */
export function num(ref: BufferRef): Num {
  return whole(ref) as Num;
}

/** The contiguous elements of ref as a subarray (no copy). */
export function dense(ref: BufferRef): Num {
  let n = 1;
  for (const s of ref.shape) n *= s;
  return num(ref).subarray(ref.offset, ref.offset + n);
}

/**
 * Merge adjacent axes that every operand walks contiguously, and drop size-1 axes, so a
 * contiguous (or row-broadcast) case runs as few long rows instead of many short ones.
 */
export function collapse(
  shape: readonly number[],
  strides: ReadonlyArray<readonly number[]>,
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, j) => outStrides[j][last] === s[i] * shape[i])) {
      outShape[last] *= shape[i];
      strides.forEach((s, j) => {
        outStrides[j][last] = s[i];
      });
    } else {
      outShape.push(shape[i]);
      strides.forEach((s, j) => {
        outStrides[j].push(s[i]);
      });
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(1);
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Call row(offsets) once per innermost row of `shape`, where offsets[j] is operand j's element
 * offset of the row's first element. `offsets` is reused between calls (no allocation per row).
 */
export function forEachRow(
  shape: readonly number[],
  strides: ReadonlyArray<readonly number[]>,
  base: readonly number[],
  row: (offsets: Float64Array) => void,
): void {
  const rank = shape.length;
  const k = strides.length;
  const offsets = Float64Array.from(base);
  const index = new Int32Array(Math.max(rank - 1, 0));
  let rows = 1;
  for (let i = 0; i < rank - 1; i++) rows *= shape[i];
  for (let r = 0; r < rows; r++) {
    row(offsets);
    // advance the odometer over the outer axes, fixing up each operand's offset
    for (let ax = rank - 2; ax >= 0; ax--) {
      index[ax]++;
      for (let j = 0; j < k; j++) offsets[j] += strides[j][ax];
      if (index[ax] < shape[ax]) break;
      for (let j = 0; j < k; j++) offsets[j] -= strides[j][ax] * shape[ax];
      index[ax] = 0;
    }
  }
}
