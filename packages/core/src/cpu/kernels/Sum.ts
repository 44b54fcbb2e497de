/** out = Σ over `axes` of x (out keeps x's rank with 1 on reduced axes). */
import type { SumArgs } from '../../kernel_names';
import { collapse, forEachRow, num } from './strided';

export function sumCpu({ x, axes, out }: SumArgs): void {
  const X = num(x);
  const O = num(out);
  const rank = x.shape.length;
  // out viewed in x's shape: stride 0 on reduced axes, so each x element adds into its slot
  const outStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    outStrides[i] = axes.includes(i) ? 0 : s;
    if (!axes.includes(i)) s *= x.shape[i];
  }
  O.fill(0, out.offset, out.offset + s);
  // accumulate in float64 whatever the storage (a float32 running sum loses digits on long rows)
  const c = collapse(x.shape, [x.strides, outStrides]);
  const n = c.shape[c.shape.length - 1];
  const sx = c.strides[0][c.strides[0].length - 1];
  const so = c.strides[1][c.strides[1].length - 1];
  forEachRow(c.shape, c.strides, [x.offset, out.offset], (o) => {
    const ix = o[0];
    const io = o[1];
    if (so === 0) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += X[ix + i * sx];
      O[io] += acc;
    } else {
      for (let i = 0; i < n; i++) O[io + i * so] += X[ix + i * sx];
    }
  });
}
