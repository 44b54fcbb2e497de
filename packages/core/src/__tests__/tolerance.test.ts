import { describe, expect, it } from 'vitest';
import { compareArrays } from './conformance/tolerance';

// The comparison every conformance test rests on: close finite values pass, anything else
// (NaN from a poisoned, unwritten output; a different infinity; a far value) fails.
describe('compareArrays', () => {
  const tol = { rtol: 1e-3, atol: 1e-3 };
  const expected = Array.from({ length: 64 }, () => (Math.random() - 0.5) * 200);
  const within = expected.map((e) => e + (Math.random() - 0.5) * (tol.atol + tol.rtol * Math.abs(e)));

  it('passes values within atol + rtol·|expected|', () => {
    expect(compareArrays(within, expected, tol, [64])).toBeNull();
  });

  it('fails a value just outside and names its position', () => {
    const i = Math.floor(Math.random() * 64);
    const off = within.slice();
    off[i] = expected[i] + 1.01 * (tol.atol + tol.rtol * Math.abs(expected[i]));
    expect(compareArrays(off, expected, tol, [8, 8])).toMatch(`1 of 64 values outside`);
    expect(compareArrays(off, expected, tol, [8, 8])).toMatch(`[${Math.floor(i / 8)}, ${i % 8}]`);
  });

  it('matches an infinity only with the same infinity, and never NaN', () => {
    const e = [...expected.slice(0, 4), Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const same = [...within.slice(0, 4), Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    expect(compareArrays(same, e, tol, [6])).toBeNull();
    const flipped = [...within.slice(0, 4), Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
    expect(compareArrays(flipped, e, tol, [6])).toMatch('1 of 6 values outside');
    const finite = [...within.slice(0, 4), 65504, Number.NEGATIVE_INFINITY];
    expect(compareArrays(finite, e, tol, [6])).toMatch('1 of 6 values outside');
    const nan = [...within.slice(0, 4), Number.NaN, Number.NEGATIVE_INFINITY];
    expect(compareArrays(nan, e, tol, [6])).toMatch('1 of 6 values outside');
    expect(compareArrays([Number.NaN], [Number.NaN], tol, [1])).toMatch('1 of 1 values outside');
  });
});
