/** Test inputs: fresh random values each run, from a seed that is logged so a failure reproduces. */
import { type Tensor, type TensorOptions, tensor } from '@sscan/core';
import { seededRandom } from '../gradcheck';

export function makeRandom(label: string): { seed: number; uniform: (lo?: number, hi?: number) => number } {
  const seed = process.env.SSCAN_TEST_SEED
    ? Number(process.env.SSCAN_TEST_SEED)
    : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
  console.log(`[${label}] seed ${seed} (rerun with SSCAN_TEST_SEED=${seed})`);
  const r = seededRandom(seed);
  return { seed, uniform: (lo = -1, hi = 1) => lo + ((r() + 1) / 2) * (hi - lo) };
}

export type Uniform = (lo?: number, hi?: number) => number;

/** A float64 (or given dtype) CPU tensor of uniform values in [lo, hi). */
export function rand(u: Uniform, shape: number[], lo = -1, hi = 1, options: TensorOptions = {}): Tensor {
  const width = options.dtype?.startsWith('complex') ? 2 : 1;
  const n = shape.reduce((a, b) => a * b, 1) * width;
  return tensor(
    Array.from({ length: n }, () => u(lo, hi)),
    shape,
    { dtype: 'float64', device: 'cpu', requiresGrad: true, ...options },
  );
}
