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
