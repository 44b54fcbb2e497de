/** out = a op b with broadcasting (a, b arrive with stride 0 on broadcast axes). */
import type { BinaryArgs, BinaryOp } from '../../kernel_names';
import { collapse, forEachRow, type Num, num } from './strided';

export function binaryCpu({ op, a, b, out }: BinaryArgs): void {
  const A = num(a);
  const B = num(b);
  const O = num(out);
  const outStrides: number[] = [];
  let s = 1;
  for (let i = out.shape.length - 1; i >= 0; i--) {
    outStrides[i] = s;
    s *= out.shape[i];
  }
  const c = collapse(out.shape, [a.strides, b.strides, outStrides]);
  const n = c.shape[c.shape.length - 1];
  const [sa, sb, so] = c.strides.map((st) => st[st.length - 1]);
  forEachRow(c.shape, c.strides, [a.offset, b.offset, out.offset], (o) =>
    binaryRow(op, A, o[0], sa, B, o[1], sb, O, o[2], so, n),
  );
}

/** One row; the switch sits outside the loops so each loop is a tight typed-array pass. */
function binaryRow(
  op: BinaryOp,
  A: Num,
  ia: number,
  sa: number,
  B: Num,
  ib: number,
  sb: number,
  O: Num,
  io: number,
  so: number,
  n: number,
): void {
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) O[io + i * so] = A[ia + i * sa] + B[ib + i * sb];
      return;
    case 'sub':
      for (let i = 0; i < n; i++) O[io + i * so] = A[ia + i * sa] - B[ib + i * sb];
      return;
    case 'mul':
      for (let i = 0; i < n; i++) O[io + i * so] = A[ia + i * sa] * B[ib + i * sb];
      return;
    case 'div':
      for (let i = 0; i < n; i++) O[io + i * so] = A[ia + i * sa] / B[ib + i * sb];
      return;
  }
}
