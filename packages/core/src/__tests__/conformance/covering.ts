/**
 * A seeded t-wise covering design: a short list of cases in which every value of every axis,
 * and every combination of values of any `strength` axes, appears at least once (a
 * combination that no valid case can hold is not required). Built greedily, AETG-style: take
 * an uncovered combination, complete it into many random valid cases, keep the one covering
 * the most still-uncovered combinations, repeat.
 */
import type { Rng } from './random';

export type Axes = Readonly<Record<string, readonly unknown[]>>;
export type Assignment<A extends Axes> = { [K in keyof A]: A[K][number] };

export function coveringDesign<A extends Axes>(
  axes: A,
  strength: 2 | 3,
  rng: Rng,
  isValid: (c: Assignment<A>) => boolean = () => true,
): Assignment<A>[] {
  const names = Object.keys(axes);
  const sizes = names.map((n) => axes[n].length);
  // Axis subsets of size `strength`, and for each the value-index tuples still uncovered.
  const subsets: number[][] = [];
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === strength) {
      subsets.push(chosen);
      return;
    }
    for (let i = start; i < names.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);

  const toCase = (idx: number[]) =>
    Object.fromEntries(names.map((n, i) => [n, axes[n][idx[i]]])) as Assignment<A>;
  const key = (subset: number[], idx: number[]) => subset.map((a) => idx[a]).join(',');

  // A tuple is required only if some valid case contains it; probe with random completions.
  const uncovered = subsets.map(() => new Set<string>());
  const randomCompletion = (fixed: Map<number, number>): number[] | null => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const idx = sizes.map((s, a) => fixed.get(a) ?? Math.floor(rng() * s));
      if (isValid(toCase(idx))) return idx;
    }
    return null;
  };
  subsets.forEach((subset, s) => {
    const total = subset.reduce((p, a) => p * sizes[a], 1);
    for (let flat = 0; flat < total; flat++) {
      const fixed = new Map<number, number>();
      let rest = flat;
      for (const a of subset) {
        fixed.set(a, rest % sizes[a]);
        rest = Math.floor(rest / sizes[a]);
      }
      if (randomCompletion(fixed)) uncovered[s].add(subset.map((a) => fixed.get(a)).join(','));
    }
  });

  const gain = (idx: number[]) =>
    subsets.reduce((g, subset, s) => g + (uncovered[s].has(key(subset, idx)) ? 1 : 0), 0);
  const cases: Assignment<A>[] = [];
  for (;;) {
    const s = uncovered.findIndex((u) => u.size > 0);
    if (s < 0) break;
    const target = [...uncovered[s]][Math.floor(rng() * uncovered[s].size)].split(',').map(Number);
    const fixed = new Map(subsets[s].map((a, i) => [a, target[i]]));
    let best: number[] | null = null;
    let bestGain = -1;
    for (let candidate = 0; candidate < 40; candidate++) {
      const idx = randomCompletion(fixed);
      if (!idx) continue;
      const g = gain(idx);
      if (g > bestGain) {
        best = idx;
        bestGain = g;
      }
    }
    if (!best) throw new Error(`coveringDesign: no valid case holds ${key(subsets[s], target)}`);
    for (const [i, subset] of subsets.entries()) uncovered[i].delete(key(subset, best));
    cases.push(toCase(best));
  }
  return cases;
}
