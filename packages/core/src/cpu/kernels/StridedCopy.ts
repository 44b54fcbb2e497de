/** dst = src over one shape, any strides/offsets on both sides, converting real dtypes. */
import { componentDType, decodeInto, encodeInto, isComplex } from '../../dtype';
import type { StridedCopyArgs } from '../../kernel_names';
import { collapse, forEachRow, type Num, whole } from './strided';

export function stridedCopyCpu({ src, dst }: StridedCopyArgs): void {
  const S = whole(src);
  const D = whole(dst);
  // complex: each element is an interleaved (re, im) pair; copy it as two reals along a new last axis
  const pair = isComplex(src.dtype);
  const shape = pair ? [...src.shape, 2] : [...src.shape];
  const ss = pair ? [...src.strides.map((x) => 2 * x), 1] : [...src.strides];
  const ds = pair ? [...dst.strides.map((x) => 2 * x), 1] : [...dst.strides];
  const f = pair ? 2 : 1;
  const c = collapse(shape, [ss, ds]);
  const n = c.shape[c.shape.length - 1];
  const s1 = c.strides[0][c.strides[0].length - 1];
  const d1 = c.strides[1][c.strides[1].length - 1];
  const sType = componentDType(src.dtype);
  const dType = componentDType(dst.dtype);
  const plain = (sType === 'float32' || sType === 'float64') && (dType === 'float32' || dType === 'float64');
  if (plain) {
    const SN = S as Num;
    const DN = D as Num;
    const r = c.shape.length;
    if (r >= 2 && d1 === 1 && s1 !== 1 && c.strides[0][r - 2] === 1) {
      transposeTiles(SN, DN, c.shape, c.strides, [src.offset * f, dst.offset * f]);
      return;
    }
    forEachRow(c.shape, c.strides, [src.offset * f, dst.offset * f], (o) => {
      const is = o[0];
      const id = o[1];
      for (let i = 0; i < n; i++) DN[id + i * d1] = SN[is + i * s1];
    });
    return;
  }
  // 16-bit types: decode one row to float64, then encode (round to nearest even) into dst
  const row = new Float64Array(n);
  const tmp = new Float64Array(1);
  forEachRow(c.shape, c.strides, [src.offset * f, dst.offset * f], (o) => {
    for (let i = 0; i < n; i++) {
      decodeInto(sType, S, o[0] + i * s1, 1, tmp);
      row[i] = tmp[0];
    }
    for (let i = 0; i < n; i++) encodeInto(dType, row, i, 1, D, o[1] + i * d1);
  });
}

/** Tile edge for transposes: two 32×32 float64 tiles stay well inside L1. */
const TILE = 32;

/**
 * The permute case (the last two axes swapped: src walks the last axis with a large stride and
 * the one before it with stride 1): copy in square tiles, so both the strided reads and the
 * contiguous writes stay in cache instead of touching a new cache line per element.
 */
function transposeTiles(S: Num, D: Num, shape: readonly number[], strides: number[][], base: number[]): void {
  const r = shape.length;
  const rows = shape[r - 2];
  const cols = shape[r - 1];
  const sr = strides[0][r - 2]; // 1
  const sc = strides[0][r - 1];
  const dr = strides[1][r - 2];
  const outer = [...shape.slice(0, r - 2), 1];
  const outerStrides = strides.map((st) => [...st.slice(0, r - 2), 1]);
  forEachRow(outer, outerStrides, base, (o) => {
    const s0 = o[0];
    const d0 = o[1];
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(rows, i0 + TILE);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(cols, j0 + TILE);
        for (let i = i0; i < i1; i++) {
          const si = s0 + i * sr;
          const di = d0 + i * dr;
          for (let j = j0; j < j1; j++) D[di + j] = S[si + j * sc];
        }
      }
    }
  });
}
