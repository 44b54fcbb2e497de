/**
 * Layout ops: reshape (a view), permute/transpose, contiguous, broadcastTo, slice, split, concat,
 * cast. Tensors are always contiguous, so every op but reshape copies once through the
 * StridedCopy kernel with the source (or destination) seen through strides.
 */
import { type DType, isDType } from '../dtype';
import type { BufferRef } from '../kernel_names';
import { contiguousStrides } from '../tensor';
import {
  broadcastRef,
  broadcastShapes,
  checkSameDevice,
  checkTensor,
  formatShape,
  invalidType,
  invalidValue,
  newLike,
  normalizeAxis,
  type Tensor,
  withOutputs,
} from './op_utils';

/** Same data, new shape (one entry may be -1: inferred). No copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const t = checkTensor('reshape', 'x', x);
  if (!Array.isArray(shape)) throw invalidType('reshape', 'shape', 'an array of integers', shape);
  const inferred = shape.indexOf(-1);
  if (inferred >= 0) {
    const known = shape.reduce((p, s, i) => (i === inferred ? p : p * s), 1);
    const filled = [...shape];
    filled[inferred] = known === 0 ? 0 : t.numel / known;
    if (!Number.isInteger(filled[inferred]))
      throw invalidValue(
        'reshape',
        'shape',
        `a shape with ${t.numel} elements like ${formatShape(t.shape)}`,
        formatShape(shape),
      );
    return t.reshape(filled);
  }
  return t.reshape(shape);
}

function copyInto(fn: string, src: BufferRef, dst: Tensor, dstRef: BufferRef = dst.ref(fn)): void {
  dst.backend.stridedCopy({ src, dst: dstRef });
}

/** Axes reordered: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const fn = 'permute';
  const t = checkTensor(fn, 'x', x);
  if (!Array.isArray(perm) || perm.length !== t.rank)
    throw invalidValue(
      fn,
      'perm',
      `a permutation of ${t.rank} axes`,
      Array.isArray(perm) ? formatShape(perm) : String(perm),
    );
  const p = perm.map((a, i) => normalizeAxis(fn, `perm[${i}]`, a, t.rank));
  if (new Set(p).size !== p.length)
    throw invalidValue(fn, 'perm', `a permutation of 0..${t.rank - 1}`, formatShape(perm));
  const strides = contiguousStrides(t.shape);
  const shape = p.map((a) => t.shape[a]);
  const out = newLike(t, shape);
  const src: BufferRef = { ...t.ref(fn), shape, strides: p.map((a) => strides[a]) };
  withOutputs([out], () => copyInto(fn, src, out));
  return out;
}

/** Swap two axes (default: the last two). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const t = checkTensor('transpose', 'x', x);
  const a = normalizeAxis('transpose', 'axis0', axis0, t.rank);
  const b = normalizeAxis('transpose', 'axis1', axis1, t.rank);
  const perm = t.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(t, perm);
}

/** A contiguous tensor with x's values: every sscan tensor already is, so this is a copy. */
export function contiguous(x: Tensor): Tensor {
  const t = checkTensor('contiguous', 'x', x);
  const out = newLike(t, t.shape);
  withOutputs([out], () => copyInto('contiguous', t.ref('contiguous'), out));
  return out;
}

/** x repeated along broadcast axes up to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const fn = 'broadcastTo';
  const t = checkTensor(fn, 'x', x);
  const target = broadcastShapes(fn, t.shape, shape, 'shape');
  if (target.join() !== shape.join())
    throw invalidValue(fn, 'shape', `a shape that ${formatShape(t.shape)} broadcasts to`, formatShape(shape));
  const out = newLike(t, shape);
  withOutputs([out], () => copyInto(fn, broadcastRef(fn, t, shape), out));
  return out;
}

function checkWindow(fn: string, t: Tensor, begin: readonly number[], size: readonly number[]): void {
  if (!Array.isArray(begin) || begin.length !== t.rank)
    throw invalidValue(
      fn,
      'begin',
      `${t.rank} start indices`,
      Array.isArray(begin) ? formatShape(begin) : String(begin),
    );
  if (!Array.isArray(size) || size.length !== t.rank)
    throw invalidValue(fn, 'size', `${t.rank} sizes`, Array.isArray(size) ? formatShape(size) : String(size));
  for (let i = 0; i < t.rank; i++) {
    if (
      !Number.isInteger(begin[i]) ||
      !Number.isInteger(size[i]) ||
      begin[i] < 0 ||
      size[i] < 0 ||
      begin[i] + size[i] > t.shape[i]
    ) {
      throw invalidValue(
        fn,
        `size[${i}]`,
        `a window inside axis ${i} of ${formatShape(t.shape)}`,
        `begin ${begin[i]}, size ${size[i]}`,
      );
    }
  }
}

/** The window of x starting at `begin` with `size` per axis, as a new tensor. */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const fn = 'slice';
  const t = checkTensor(fn, 'x', x);
  checkWindow(fn, t, begin, size);
  const strides = contiguousStrides(t.shape);
  const ref = t.ref(fn);
  const src: BufferRef = {
    ...ref,
    shape: size,
    strides,
    offset: ref.offset + begin.reduce((o, b, i) => o + b * strides[i], 0),
  };
  const out = newLike(t, size);
  withOutputs([out], () => copyInto(fn, src, out));
  return out;
}

/**
 * The gradient of slice: a zero tensor of `shape` with dy written at `begin`. Exported for
 * autograd.
 */
export function sliceBackward(dy: Tensor, shape: readonly number[], begin: readonly number[]): Tensor {
  const fn = 'sliceBackward';
  const g = checkTensor(fn, 'dy', dy);
  const out = newLike(g, shape);
  const strides = contiguousStrides(shape);
  withOutputs([out], () => {
    const zeroSrc = zeroRef(fn, g, shape);
    try {
      copyInto(fn, zeroSrc.ref, out);
    } finally {
      zeroSrc.dispose();
    }
    const ref = out.ref(fn);
    copyInto(fn, g.ref(fn), out, {
      ...ref,
      shape: g.shape,
      strides,
      offset: ref.offset + begin.reduce((o, b, i) => o + b * strides[i], 0),
    });
  });
  return out;
}

/** One zero element seen (stride 0) as `shape`: a fill through the copy kernel. */
function zeroRef(
  fn: string,
  like: Tensor,
  shape: readonly number[],
): { ref: BufferRef; dispose: () => void } {
  const z = newLike(like, []);
  z.backend.write(z.data(fn).storage, 0, new Uint8Array(like.dtype === 'float64' ? 8 : 4));
  return { ref: { ...z.ref(fn), shape, strides: shape.map(() => 0) }, dispose: () => z.dispose() };
}

/** Pieces of x along `axis` with the given sizes (they must add up to x.shape[axis]). */
export function split(x: Tensor, sizes: readonly number[], axis = -1): Tensor[] {
  const fn = 'split';
  const t = checkTensor(fn, 'x', x);
  const ax = normalizeAxis(fn, 'axis', axis, t.rank);
  if (
    !Array.isArray(sizes) ||
    sizes.some((s) => !Number.isInteger(s) || s < 0) ||
    sizes.reduce((a, b) => a + b, 0) !== t.shape[ax]
  ) {
    throw invalidValue(
      fn,
      'sizes',
      `non-negative sizes adding up to ${t.shape[ax]} (axis ${ax} of ${formatShape(t.shape)})`,
      Array.isArray(sizes) ? formatShape(sizes) : String(sizes),
    );
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    const begin = t.shape.map((_, i) => (i === ax ? start : 0));
    const size = t.shape.map((d, i) => (i === ax ? s : d));
    out.push(slice(t, begin, size));
    start += s;
  }
  return out;
}

/** Tensors joined along `axis` (all other sizes equal, same dtype and device). */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  const fn = 'concat';
  if (!Array.isArray(xs) || xs.length === 0) throw invalidType(fn, 'xs', 'a non-empty array of tensors', xs);
  const ts = xs.map((x, i) => checkTensor(fn, `xs[${i}]`, x));
  const first = ts[0];
  const ax = normalizeAxis(fn, 'axis', axis, first.rank);
  ts.forEach((t, i) => {
    if (t.rank !== first.rank || t.shape.some((s, j) => j !== ax && s !== first.shape[j])) {
      throw invalidValue(
        fn,
        `xs[${i}]`,
        `shape ${formatShape(first.shape)} except on axis ${ax}`,
        formatShape(t.shape),
      );
    }
    if (t.dtype !== first.dtype)
      throw invalidValue(fn, `xs[${i}]`, `dtype ${first.dtype} like xs[0]`, t.dtype);
  });
  checkSameDevice(
    fn,
    ['xs[0]', first],
    ts.map((t, i) => [`xs[${i}]`, t] as [string, Tensor]),
  );
  const shape = first.shape.map((s, j) => (j === ax ? ts.reduce((a, t) => a + t.shape[ax], 0) : s));
  const out = newLike(first, shape);
  const strides = contiguousStrides(shape);
  withOutputs([out], () => {
    let start = 0;
    const ref = out.ref(fn);
    for (const t of ts) {
      copyInto(fn, t.ref(fn), out, {
        ...ref,
        shape: t.shape,
        strides,
        offset: ref.offset + start * strides[ax],
      });
      start += t.shape[ax];
    }
  });
  return out;
}

/** x converted to `dtype` (real ↔ real, complex ↔ complex; 16-bit rounding to nearest even). */
export function cast(x: Tensor, dtype: DType): Tensor {
  const fn = 'cast';
  const t = checkTensor(fn, 'x', x);
  if (!isDType(dtype)) throw invalidType(fn, 'dtype', 'a dtype name', dtype);
  const complexIn = t.dtype.startsWith('complex');
  if (complexIn !== dtype.startsWith('complex'))
    throw invalidValue(
      fn,
      'dtype',
      `a ${complexIn ? 'complex' : 'real'} dtype like x (${t.dtype})`,
      `'${dtype}'`,
    );
  const out = newLike(t, t.shape, dtype);
  withOutputs([out], () => copyInto(fn, t.ref(fn), out));
  return out;
}
