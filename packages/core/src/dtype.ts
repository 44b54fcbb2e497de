/**
 * Element types. float16/bfloat16 are stored as raw 16-bit patterns (Uint16Array);
 * complex types are interleaved (re, im) pairs of their real component type.
 */
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'complex64' | 'complex128';
export type RealDType = 'float32' | 'float64' | 'float16' | 'bfloat16';
export type ComplexDType = 'complex64' | 'complex128';

export const DTYPES: readonly DType[] = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'complex64',
  'complex128',
];

/** Bytes per element (a complex element is one (re, im) pair). */
export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float16':
    case 'bfloat16':
      return 2;
    case 'float32':
      return 4;
    case 'float64':
    case 'complex64':
      return 8;
    case 'complex128':
      return 16;
  }
}

export function isComplex(dtype: DType): dtype is ComplexDType {
  return dtype === 'complex64' || dtype === 'complex128';
}

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

/** The real type of one component: complex64 → float32, complex128 → float64. */
export function componentDType(dtype: DType): RealDType {
  if (dtype === 'complex64') return 'float32';
  if (dtype === 'complex128') return 'float64';
  return dtype;
}

/** What `toArray()` returns for a dtype: float32 for the 16-bit and complex64 types. */
export type HostArray = Float32Array | Float64Array;

/** Typed array over storage bytes, in the storage representation (Uint16Array for 16-bit floats). */
export type StorageArray = Float32Array | Float64Array | Uint16Array;

export function storageView(
  dtype: DType,
  buffer: ArrayBufferLike,
  byteOffset: number,
  numel: number,
): StorageArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, numel);
    case 'float64':
      return new Float64Array(buffer, byteOffset, numel);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, numel);
    case 'complex64':
      return new Float32Array(buffer, byteOffset, 2 * numel);
    case 'complex128':
      return new Float64Array(buffer, byteOffset, 2 * numel);
  }
}

// ---- float16 / bfloat16 conversion (round to nearest even; NaN, ±Inf, subnormals kept) ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float → bfloat16 bits: keep the top 16 bits of the float32, rounding to nearest even. */
export function toBFloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) {
    return ((bits >>> 16) | 0x0040) & 0xffff; // NaN stays NaN (quiet), sign kept
  }
  const roundingBias = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + roundingBias) >>> 16) & 0xffff;
}

export function fromBFloat16Bits(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/**
 * float → IEEE binary16 bits, rounding to nearest even from the float64 value
 * (no double rounding through float32).
 */
export function toFloat16Bits(x: number): number {
  const sign = x < 0 || (x === 0 && 1 / x < 0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (Number.isNaN(x)) return 0x7e00;
  if (a === Number.POSITIVE_INFINITY) return sign | 0x7c00;
  if (a >= 65520) return sign | 0x7c00; // rounds past the largest finite half (65504)
  if (a < 2 ** -14) {
    // Subnormal (or zero): value = m · 2^-24 with m an integer 0..1023; round m to nearest even.
    const m = roundHalfEven(a * 2 ** 24);
    return sign | m; // m may reach 1024 = the smallest normal, which encodes correctly
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a)
    e -= 1; // guard log2 rounding
  else if (2 ** (e + 1) <= a) e += 1;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const r = v - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Decode `count` stored elements starting at `from` into `dst` (as numbers). */
export function decodeInto(
  dtype: RealDType,
  src: StorageArray,
  from: number,
  count: number,
  dst: Float64Array | Float32Array,
  to = 0,
): void {
  if (dtype === 'float16') {
    for (let i = 0; i < count; i++) dst[to + i] = fromFloat16Bits(src[from + i]);
  } else if (dtype === 'bfloat16') {
    for (let i = 0; i < count; i++) dst[to + i] = fromBFloat16Bits(src[from + i]);
  } else {
    for (let i = 0; i < count; i++) dst[to + i] = src[from + i];
  }
}

/** Encode `count` numbers from `src` into stored elements (rounding for 16-bit types). */
export function encodeInto(
  dtype: RealDType,
  src: ArrayLike<number>,
  from: number,
  count: number,
  dst: StorageArray,
  to = 0,
): void {
  if (dtype === 'float16') {
    for (let i = 0; i < count; i++) dst[to + i] = toFloat16Bits(src[from + i]);
  } else if (dtype === 'bfloat16') {
    for (let i = 0; i < count; i++) dst[to + i] = toBFloat16Bits(src[from + i]);
  } else {
    for (let i = 0; i < count; i++) dst[to + i] = src[from + i];
  }
}
