/** Seeded random numbers for initialisation and data: a run reproduces from its seed. */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    // mulberry32: small, fast, and good enough for initialisation and synthetic data
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + next() * (hi - lo),
    normal: () => {
      const u1 = Math.max(next(), 1e-300);
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * next());
    },
    int: (n) => Math.floor(next() * n),
  };
}
