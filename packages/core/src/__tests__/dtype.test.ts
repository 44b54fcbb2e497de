/**
 * float16 / bfloat16 conversion: every one of the 65536 bit patterns of each format, every
 * tie between two neighbours, and the edges (±0, subnormals, overflow, ±Inf, NaN). The
 * expected values come from an independent decoder written from the IEEE field layout.
 */
import { describe, expect, it } from 'vitest';
import {
  bytesPerElement,
  componentDType,
  fromBFloat16Bits,
  fromFloat16Bits,
  isComplex,
  toBFloat16Bits,
  toFloat16Bits,
} from '../dtype';
import { tensor } from '../index';

/** (sign, exponent, mantissa) fields → value; `bias`, `mbits` describe the format. */
function decodeFields(bits: number, ebits: number, mbits: number): number {
  const bias = 2 ** (ebits - 1) - 1;
  const sign = bits >> (ebits + mbits) ? -1 : 1;
  const e = (bits >> mbits) & (2 ** ebits - 1);
  const m = bits & (2 ** mbits - 1);
  if (e === 2 ** ebits - 1) return m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  if (e === 0) return sign * m * 2 ** (1 - bias - mbits);
  return sign * (1 + m / 2 ** mbits) * 2 ** (e - bias);
}
const half = (h: number) => decodeFields(h, 5, 10);
const brain = (h: number) => decodeFields(h, 8, 7);

const isHalfNaN = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x03ff) !== 0;
const isBrainNaN = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x007f) !== 0;

/** Largest finite positive patterns. */
const HALF_MAX = 0x7bff;
const BRAIN_MAX = 0x7f7f;

describe('float16', () => {
  it('decodes all 65536 patterns and round-trips every non-NaN one exactly (incl. -0, subnormals, ±Inf)', () => {
    for (let h = 0; h < 65536; h++) {
      const v = fromFloat16Bits(h);
      const expected = half(h);
      if (Number.isNaN(expected)) {
        expect(Number.isNaN(v), `pattern ${h.toString(16)}`).toBe(true);
        expect(isHalfNaN(toFloat16Bits(v))).toBe(true);
        continue;
      }
      if (v !== expected || !Object.is(v, expected)) expect(v, `decode ${h.toString(16)}`).toBe(expected);
      const back = toFloat16Bits(v);
      if (back !== h) expect(back.toString(16), `round trip ${h.toString(16)} (${v})`).toBe(h.toString(16));
    }
  });

  it('rounds every midpoint between neighbours to the even one, and just off a midpoint to the nearer', () => {
    for (let h = 0; h < HALF_MAX; h++) {
      const lo = half(h);
      const hi = half(h + 1);
      const mid = (lo + hi) / 2; // exact in float64
      const even = h % 2 === 0 ? h : h + 1;
      const step = mid * 2 ** -40;
      const got = [
        toFloat16Bits(mid),
        toFloat16Bits(mid - step),
        toFloat16Bits(mid + step),
        toFloat16Bits(-mid),
      ];
      const want = [even, h, h + 1, even | 0x8000];
      if (got.some((g, i) => g !== want[i]))
        expect(got, `between ${h.toString(16)} and ${(h + 1).toString(16)} (mid ${mid})`).toEqual(want);
    }
  });

  it('overflow, infinities, NaN, zeros, underflow', () => {
    expect(toFloat16Bits(65504)).toBe(HALF_MAX);
    expect(toFloat16Bits(65519.99)).toBe(HALF_MAX);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // the tie above 65504 goes to the even side: Inf
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(-1e6)).toBe(0xfc00);
    expect(toFloat16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(toFloat16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(isHalfNaN(toFloat16Bits(Number.NaN))).toBe(true);
    expect(toFloat16Bits(0)).toBe(0x0000);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000); // half of it: tie to even (0)
    expect(toFloat16Bits(2 ** -25 * 1.000001)).toBe(0x0001);
    expect(toFloat16Bits(-(2 ** -30))).toBe(0x8000); // underflow keeps the sign
    expect(toFloat16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // tie between 0x3ff and 0x400: even
    expect(toFloat16Bits(1 / 3)).toBe(0x3555);
  });

  it('rounds from the float64 value, not through float32 (no double rounding)', () => {
    // 1 + 2^-11 is the midpoint between 1 and the next half; adding 2^-40 puts it just above.
    // Through float32 the 2^-40 would vanish and the tie would go down to 1 (0x3c00).
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
  });
});

describe('bfloat16', () => {
  it('decodes all 65536 patterns and round-trips every non-NaN one exactly (incl. -0, subnormals, ±Inf)', () => {
    for (let h = 0; h < 65536; h++) {
      const v = fromBFloat16Bits(h);
      const expected = brain(h);
      if (Number.isNaN(expected)) {
        expect(Number.isNaN(v), `pattern ${h.toString(16)}`).toBe(true);
        expect(isBrainNaN(toBFloat16Bits(v))).toBe(true);
        continue;
      }
      if (!Object.is(v, expected)) expect(v, `decode ${h.toString(16)}`).toBe(expected);
      const back = toBFloat16Bits(v);
      if (back !== h) expect(back.toString(16), `round trip ${h.toString(16)} (${v})`).toBe(h.toString(16));
    }
  });

  it('rounds every midpoint between neighbours to the even one, and just off a midpoint to the nearer', () => {
    for (let h = 0; h < BRAIN_MAX; h++) {
      const lo = brain(h);
      const hi = brain(h + 1);
      const mid = (lo + hi) / 2; // exact, and representable in float32 (8 significant bits)
      expect(Math.fround(mid)).toBe(mid);
      const even = h % 2 === 0 ? h : h + 1;
      // The float32 neighbours of the midpoint (bfloat16 conversion starts from float32).
      const below = nextFloat32(mid, -1);
      const above = nextFloat32(mid, +1);
      const got = [toBFloat16Bits(mid), toBFloat16Bits(below), toBFloat16Bits(above), toBFloat16Bits(-mid)];
      const want = [even, h, h + 1, even | 0x8000];
      if (got.some((g, i) => g !== want[i]))
        expect(got, `between ${h.toString(16)} and ${(h + 1).toString(16)} (mid ${mid})`).toEqual(want);
    }
  });

  it('overflow, infinities, NaN, zeros', () => {
    const maxFloat32 = (2 - 2 ** -23) * 2 ** 127;
    expect(toBFloat16Bits(brain(BRAIN_MAX))).toBe(BRAIN_MAX);
    expect(toBFloat16Bits(maxFloat32)).toBe(0x7f80); // above the last midpoint: Inf
    expect(toBFloat16Bits(-maxFloat32)).toBe(0xff80);
    expect(toBFloat16Bits(1e39)).toBe(0x7f80);
    expect(toBFloat16Bits(Number.POSITIVE_INFINITY)).toBe(0x7f80);
    expect(toBFloat16Bits(Number.NEGATIVE_INFINITY)).toBe(0xff80);
    expect(isBrainNaN(toBFloat16Bits(Number.NaN))).toBe(true);
    expect(toBFloat16Bits(0)).toBe(0x0000);
    expect(toBFloat16Bits(-0)).toBe(0x8000);
    expect(Object.is(fromBFloat16Bits(0x8000), -0)).toBe(true);
    expect(toBFloat16Bits(2 ** -133)).toBe(0x0001); // smallest subnormal
    expect(toBFloat16Bits(1 / 3)).toBe(0x3eab);
  });

  it('converts a float64 through its float32 rounding first (the PyTorch/c10 contract)', () => {
    // dtype.ts and the CPU kernels round float64 → float32 → bfloat16, as c10::BFloat16 does.
    // The one visible consequence is double rounding right next to a bfloat16 midpoint:
    // 1 + 2^-8 + 2^-40 is above the midpoint between 1 and 1 + 2^-7, but float32 rounds it
    // onto the midpoint, which then ties to even (1.0).
    expect(toBFloat16Bits(1 + 2 ** -8 + 2 ** -40)).toBe(0x3f80);
    for (const x of [Math.PI, -Math.E * 1e10, 1e-30 / 3, 123456.789]) {
      expect(toBFloat16Bits(x)).toBe(toBFloat16Bits(Math.fround(x)));
    }
  });
});

describe('tensors store 16-bit values with the same rounding', () => {
  it('float16 and bfloat16 tensors hold exactly the rounded values', () => {
    const values = [
      0.1,
      -2.5,
      65519,
      65520,
      2 ** -25,
      3 * 2 ** -25,
      1 + 2 ** -8,
      -0,
      1e-40,
      Number.POSITIVE_INFINITY,
    ];
    const h = tensor(values, [values.length], { dtype: 'float16', device: 'cpu' }).toArraySync();
    const b = tensor(values, [values.length], { dtype: 'bfloat16', device: 'cpu' }).toArraySync();
    values.forEach((v, i) => {
      expect(Object.is(h[i], fromFloat16Bits(toFloat16Bits(v))), `float16 ${v}`).toBe(true);
      expect(Object.is(b[i], fromBFloat16Bits(toBFloat16Bits(v))), `bfloat16 ${v}`).toBe(true);
    });
    expect(h[3]).toBe(Number.POSITIVE_INFINITY);
    expect(h[4]).toBe(0);
  });
});

describe('dtype helpers', () => {
  it('sizes, kinds and component types', () => {
    expect(
      ['float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'].map((d) =>
        bytesPerElement(d as never),
      ),
    ).toEqual([2, 2, 4, 8, 8, 16]);
    expect(isComplex('complex64')).toBe(true);
    expect(isComplex('float64')).toBe(false);
    expect(componentDType('complex64')).toBe('float32');
    expect(componentDType('complex128')).toBe('float64');
    expect(componentDType('bfloat16')).toBe('bfloat16');
  });
});

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The float32 next to x (a float32 value) in direction dir, for positive finite x. */
function nextFloat32(x: number, dir: 1 | -1): number {
  f32[0] = x;
  u32[0] += dir;
  return f32[0];
}
