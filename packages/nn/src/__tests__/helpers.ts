/** Fresh random test inputs from a logged seed (rerun a failure with SSCAN_TEST_SEED). */
import { seededRandom } from '@sscan/autograd';

export function testSeed(label: string): number {
  const seed = process.env.SSCAN_TEST_SEED
    ? Number(process.env.SSCAN_TEST_SEED)
    : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
  console.log(`[${label}] seed ${seed} (rerun with SSCAN_TEST_SEED=${seed})`);
  return seed;
}

export function uniformValues(seed: number, n: number, lo = -1, hi = 1): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => lo + ((r() + 1) / 2) * (hi - lo));
}
