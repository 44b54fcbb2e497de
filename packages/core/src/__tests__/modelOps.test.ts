/**
 * The model ops on the CPU backend against naive float64 formulas written here (independent of
 * the kernels), plus their argument checks. Gradients are checked in @sscan/autograd (gradcheck).
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  broadcastTo,
  cast,
  causalConv1d,
  concat,
  crossEntropy,
  div,
  embedding,
  exp,
  linear,
  log,
  matmul,
  mean,
  mul,
  neg,
  permute,
  rmsNorm,
  sigmoid,
  silu,
  slice,
  softplus,
  split,
  sub,
  sum,
  type Tensor,
  tensor,
  transpose,
} from '../index';

const seed = process.env.SSCAN_TEST_SEED
  ? Number(process.env.SSCAN_TEST_SEED)
  : (Date.now() >>> 0) % 1_000_000_007;
console.log(`[model ops] seed ${seed} (rerun with SSCAN_TEST_SEED=${seed})`);
let state = seed >>> 0;
function uniform(lo = -1, hi = 1): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
}
const values = (n: number, lo = -1, hi = 1) => Float64Array.from({ length: n }, () => uniform(lo, hi));
const f64 = (v: ArrayLike<number>, shape: number[]) => tensor(v, shape, { dtype: 'float64' });
const close = (t: Tensor, expected: ArrayLike<number>, tol = 1e-12) => {
  const got = t.toArraySync();
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++)
    expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
};

describe('elementwise and reductions', () => {
  it('binary ops broadcast like numpy', () => {
    const a = values(2 * 3 * 4);
    const b = values(3 * 1, 0.5, 2);
    const at = f64(a, [2, 3, 4]);
    const bt = f64(b, [3, 1]);
    const ref = (f: (x: number, y: number) => number) => a.map((x, i) => f(x, b[Math.floor(i / 4) % 3]));
    close(
      add(at, bt),
      ref((x, y) => x + y),
    );
    close(
      sub(at, bt),
      ref((x, y) => x - y),
    );
    close(
      mul(at, bt),
      ref((x, y) => x * y),
    );
    close(
      div(at, bt),
      ref((x, y) => x / y),
    );
    close(
      mul(at, 2.5),
      a.map((x) => 2.5 * x),
    );
    close(
      sub(1, at),
      a.map((x) => 1 - x),
    );
    expect(() => add(at, f64(values(5), [5]))).toThrow(
      /add: argument 'b' must be a shape broadcastable with \[2, 3, 4\], got \[5\]/,
    );
    expect(() => add(at, tensor(values(4), [4]))).toThrow(/add: argument 'b' must be dtype float64/);
  });

  it('unary ops', () => {
    const x = values(50, -30, 30);
    const t = f64(x, [50]);
    close(
      neg(t),
      x.map((v) => -v),
    );
    close(exp(t), x.map(Math.exp));
    close(
      sigmoid(t),
      x.map((v) => 1 / (1 + Math.exp(-v))),
    );
    close(
      silu(t),
      x.map((v) => v / (1 + Math.exp(-v))),
    );
    close(
      softplus(t),
      x.map((v) => (v > 20 ? v : Math.log(1 + Math.exp(v)))),
      1e-10,
    );
    close(
      log(f64(x.map(Math.abs), [50])),
      x.map((v) => Math.log(Math.abs(v))),
    );
    expect(() => exp(tensor([1], [1], { dtype: 'float16' }))).toThrow(
      /exp: argument 'x' must be dtype float32 or float64 \(cast 16-bit tensors with cast\(\) first\), got float16/,
    );
  });

  it('sum and mean over axes', () => {
    const x = values(2 * 3 * 4);
    const t = f64(x, [2, 3, 4]);
    const at = (i: number, j: number, k: number) => x[(i * 3 + j) * 4 + k];
    const s02 = [0, 1, 2].map((j) =>
      [0, 1].reduce((s, i) => s + [0, 1, 2, 3].reduce((q, k) => q + at(i, j, k), 0), 0),
    );
    close(sum(t, [0, 2]), s02);
    expect(sum(t, [0, 2], true).shape).toEqual([1, 3, 1]);
    close(sum(t), [x.reduce((a, b) => a + b, 0)]);
    close(
      mean(t, -1),
      [0, 1].flatMap((i) => [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((q, k) => q + at(i, j, k), 0) / 4)),
    );
    expect(() => sum(t, 3)).toThrow(/sum: argument 'axes\[0\]' must be an axis in \[-3, 2\]/);
  });
});

describe('layout', () => {
  it('permute, transpose, broadcastTo, slice, split, concat, cast', () => {
    const x = values(2 * 3 * 4);
    const t = f64(x, [2, 3, 4]);
    const at = (i: number, j: number, k: number) => x[(i * 3 + j) * 4 + k];
    const p = permute(t, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    close(
      p,
      [0, 1, 2, 3].flatMap((k) => [0, 1].flatMap((i) => [0, 1, 2].map((j) => at(i, j, k)))),
    );
    close(
      transpose(t),
      [0, 1].flatMap((i) => [0, 1, 2, 3].flatMap((k) => [0, 1, 2].map((j) => at(i, j, k)))),
    );
    close(broadcastTo(f64([1, 2, 3], [3, 1]), [2, 3, 2]), [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    close(slice(t, [1, 1, 2], [1, 2, 2]), [at(1, 1, 2), at(1, 1, 3), at(1, 2, 2), at(1, 2, 3)]);
    const [a, b] = split(t, [1, 3], -1);
    close(concat([a, b], -1), x);
    close(concat([t, t], 0), [...x, ...x]);
    // a big transpose takes the tiled path
    const big = values(3 * 70 * 45);
    const bt = permute(f64(big, [3, 70, 45]), [0, 2, 1]);
    close(
      bt,
      [0, 1, 2].flatMap((i) =>
        Array.from({ length: 45 }, (_, k) =>
          Array.from({ length: 70 }, (_, j) => big[(i * 70 + j) * 45 + k]),
        ).flat(),
      ),
    );
    const h = cast(f64([1.0009765625, 65519, 1e-8], [3]), 'float16');
    expect(h.dtype).toBe('float16');
    close(cast(h, 'float64'), [1.0009765625, 65504, 0]);
    expect(() => slice(t, [0, 0, 3], [1, 1, 2])).toThrow(
      /slice: argument 'size\[2\]' must be a window inside axis 2 of \[2, 3, 4\], got begin 3, size 2/,
    );
    expect(() => split(t, [1, 1], 0)).not.toThrow();
    expect(() => split(t, [1, 2], 2)).toThrow(
      /split: argument 'sizes' must be non-negative sizes adding up to 4/,
    );
    expect(() => permute(t, [0, 0, 1])).toThrow(/permute: argument 'perm' must be a permutation of 0..2/);
  });
});

describe('matmul, conv, norm, embedding, cross-entropy', () => {
  it('matmul with every transpose combination, batched and with a shared b', () => {
    const [B, m, k, n] = [2, 5, 7, 6];
    const a = values(B * m * k);
    const bv = values(k * n);
    const ref = new Float64Array(B * m * n);
    for (let bi = 0; bi < B; bi++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let q = 0; q < k; q++) s += a[(bi * m + i) * k + q] * bv[q * n + j];
          ref[(bi * m + i) * n + j] = s;
        }
    const A = f64(a, [B, m, k]);
    const Bm = f64(bv, [k, n]);
    close(matmul(A, Bm), ref);
    close(matmul(transpose(A), Bm, { transposeA: true }), ref);
    close(matmul(A, transpose(Bm), { transposeB: true }), ref);
    close(matmul(transpose(A), transpose(Bm), { transposeA: true, transposeB: true }), ref);
    close(linear(A, transpose(Bm)), ref);
    expect(() => matmul(A, f64(values(6 * 6), [6, 6]))).toThrow(
      /matmul: argument 'b' must be first matrix axis of 7/,
    );
  });

  it('causal depthwise conv1d', () => {
    const [B, C, L, W] = [2, 3, 9, 4];
    const x = values(B * C * L);
    const w = values(C * W);
    const bias = values(C);
    const ref = new Float64Array(B * C * L);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let t = 0; t < L; t++) {
          let s = bias[c];
          for (let q = 0; q < W; q++) {
            const src = t - (W - 1) + q;
            if (src >= 0) s += w[c * W + q] * x[(b * C + c) * L + src];
          }
          ref[(b * C + c) * L + t] = s;
        }
    close(causalConv1d(f64(x, [B, C, L]), f64(w, [C, W]), f64(bias, [C])), ref);
    expect(() => causalConv1d(f64(x, [B, C, L]), f64(values(C * 9), [C, 9]))).toThrow(
      /causalConv1d: argument 'weight' must be shape \(channels=3, width in 1..8\), got \[3, 9\]/,
    );
  });

  it('rmsNorm', () => {
    const x = values(4 * 6);
    const w = values(6);
    const ref = new Float64Array(24);
    for (let r = 0; r < 4; r++) {
      let ss = 0;
      for (let i = 0; i < 6; i++) ss += x[r * 6 + i] ** 2;
      for (let i = 0; i < 6; i++) ref[r * 6 + i] = (x[r * 6 + i] / Math.sqrt(ss / 6 + 1e-5)) * w[i];
    }
    close(rmsNorm(f64(x, [2, 2, 6]), f64(w, [6])), ref);
    expect(() => rmsNorm(f64(x, [4, 6]), f64(w.slice(0, 5), [5]))).toThrow(
      /rmsNorm: argument 'weight' must be shape \(6\) = x's last axis, got \[5\]/,
    );
  });

  it('embedding and cross-entropy with an ignore index', () => {
    const W = values(5 * 3);
    const ids = [4, 0, 4, 2];
    close(
      embedding(f64(W, [5, 3]), f64(ids, [2, 2])),
      ids.flatMap((i) => [W[i * 3], W[i * 3 + 1], W[i * 3 + 2]]),
    );
    expect(() => embedding(f64(W, [5, 3]), f64([5], [1]))).toThrow(
      /embedding: argument 'ids' must be integer token ids in \[0, 5\), got 5 at flat index 0/,
    );
    const logits = values(4 * 5, -4, 4);
    const targets = [3, -100, 0, 4];
    let total = 0;
    for (const r of [0, 2, 3]) {
      const row = logits.slice(r * 5, r * 5 + 5);
      total += Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[targets[r]];
    }
    close(crossEntropy(f64(logits, [4, 5]), f64(targets, [4])), [total / 3]);
    expect(() => crossEntropy(f64(logits, [4, 5]), f64([0, 1, 2, 9], [4]))).toThrow(
      /crossEntropy: argument 'targets' must be class ids in \[0, 5\) or ignoreIndex -100, got 9 at row 3/,
    );
  });
});
