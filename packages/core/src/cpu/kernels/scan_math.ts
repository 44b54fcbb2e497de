/**
 * The scalar math of the scan, written once for the CPU kernels: softplus with its cut-off,
 * the sigmoid gate, and the row codecs between stored elements and float64 working rows.
 *
 * Every function here is self-contained: no imports, no module state, no closure. The thread
 * pool ships them to its workers as source text (`fn.toString()`), where they are evaluated
 * together in one scope (`scanMathLib` below is that set), so they may call each other by name
 * but nothing else. The hot loops of the kernels inline the same formulas (a call per state
 * update would cost more than the update); each such place points back here.
 *
 * Element kinds of a row (`RowKind`): 0 = plain float32/float64 typed array, 1 = float16 bits,
 * 2 = bfloat16 bits (both in a Uint16Array). Decoding uses 65536-entry tables shared by all
 * threads (`halfTables`); encoding rounds to nearest even from the float64 value, bit-identical
 * to `toFloat16Bits`/`toBFloat16Bits` in dtype.ts (a unit test holds them together).
 */

export type RowKind = 0 | 1 | 2;
export type NumArray = Float32Array | Float64Array | Uint16Array;

/** Decoded value of every 16-bit pattern, float16 then bfloat16. */
export interface HalfTables {
  readonly f16: Float32Array;
  readonly bf16: Float32Array;
}

/**
 * softplus(x) = log(1 + e^x), as x + log1p(e^-x) for x > 0 (the same value, and about a third
 * faster here: log1p of an argument in (0, 1] takes V8's short path). Above 20, e^-x < 2.1e-9 and
 * the result equals x to float32 precision, so x itself is returned: the cut-off of the CUDA
 * reference kernels, so every backend takes the same branch. The forward inlines this
 * (scan_rows.ts prepareRow); keep the two identical, the decode step calls this one.
 */
export function softplus(x: number): number {
  return x > 20 ? x : x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** d softplus / dx = sigmoid(x), and 1 past the cut-off (where softplus is the identity). */
export function softplusGrad(x: number): number {
  return x > 20 ? 1 : 1 / (1 + Math.exp(-x));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** silu(z) = z·sigmoid(z), the output gate. */
export function silu(z: number): number {
  return z / (1 + Math.exp(-z));
}

/** d silu / dz = σ(z)·(1 + z·(1 − σ(z))). */
export function siluGrad(z: number): number {
  const s = 1 / (1 + Math.exp(-z));
  return s * (1 + z * (1 - s));
}

/** float → IEEE binary16 bits, round to nearest even from the float64 value (as dtype.ts). */
export function encodeFloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || (x === 0 && 1 / x < 0) ? 0x8000 : 0;
  let a = x < 0 ? -x : x;
  if (a >= 65520) return sign | 0x7c00; // past the largest finite half (65504) after rounding
  // Scale so that the 10 fraction bits (or the subnormal grid 2^-24) sit left of the point.
  let e = -14;
  if (a >= 2 ** -14) {
    e = Math.floor(Math.log2(a));
    if (2 ** e > a)
      e -= 1; // log2 may round across a power of two
    else if (2 ** (e + 1) <= a) e += 1;
  }
  a *= 2 ** (10 - e); // exact: a power-of-two scaling
  let m = Math.floor(a);
  const r = a - m;
  if (r > 0.5 || (r === 0.5 && (m & 1) === 1)) m += 1;
  if (e === -14 && m < 1024) return sign | m; // subnormal (m = 1024 would be the smallest normal)
  if (m === 2048) {
    m = 1024;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | (m - 1024);
}

/**
 * float → bfloat16 bits: the float32 rounding of x, then its top 16 bits rounded to nearest even
 * (what dtype.ts and PyTorch do). `f32`/`u32` are one-element views of the same scratch buffer.
 */
export function encodeBFloat16(x: number, f32: Float32Array, u32: Uint32Array): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0)
    return ((bits >>> 16) | 0x0040) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** dst[to .. to+count) = decoded src[from .. from+count). */
export function readRow(
  kind: RowKind,
  src: NumArray,
  from: number,
  count: number,
  dst: Float64Array,
  to: number,
  tables: HalfTables,
): void {
  if (kind === 0) {
    for (let i = 0; i < count; i++) dst[to + i] = src[from + i];
  } else {
    const table = kind === 1 ? tables.f16 : tables.bf16;
    for (let i = 0; i < count; i++) dst[to + i] = table[src[from + i]];
  }
}

/** dst[to .. to+count) = encoded src[from .. from+count); `f32`/`u32` as for encodeBFloat16. */
export function writeRow(
  kind: RowKind,
  src: Float64Array,
  from: number,
  count: number,
  dst: NumArray,
  to: number,
  f32: Float32Array,
  u32: Uint32Array,
): void {
  if (kind === 0) {
    for (let i = 0; i < count; i++) dst[to + i] = src[from + i];
  } else if (kind === 1) {
    for (let i = 0; i < count; i++) dst[to + i] = encodeFloat16(src[from + i]);
  } else {
    for (let i = 0; i < count; i++) dst[to + i] = encodeBFloat16(src[from + i], f32, u32);
  }
}

/** The functions above, as the thread pool ships them to workers (key → function). */
export const scanMathLib = {
  softplus,
  softplusGrad,
  sigmoid,
  silu,
  siluGrad,
  encodeFloat16,
  encodeBFloat16,
  readRow,
  writeRow,
} as const;

export type ScanMathLib = typeof scanMathLib;
