/**
 * The Selective Copying task (Mamba paper §4.1.1, after Jing et al.'s copying task with random
 * spacing): K data tokens are scattered at random positions among noise tokens in a region of
 * `seqlen` steps; K marker tokens follow, and at the j-th marker the model must output the j-th
 * data token. Where the data sits changes every sequence, so a time-invariant model (a fixed
 * convolution) cannot solve it: it needs the input-dependent selection of the S6 scan.
 *
 * Tokens: 0 = noise, 1..dataVocab = data, dataVocab + 1 = marker. Targets are IGNORE except at
 * the K marker positions.
 */

export const IGNORE = -100;

export interface SelectiveCopyingConfig {
  /** Length of the region holding data and noise. */
  seqlen: number;
  /** K, data tokens to copy. */
  tokens: number;
  /** Distinct data token values. */
  dataVocab: number;
}

export interface CopyBatch {
  /** (batch, seqlen + tokens) token ids. */
  ids: Float32Array;
  /** (batch, seqlen + tokens) targets, IGNORE off the marker positions. */
  targets: Float32Array;
  batch: number;
  length: number;
}

export function vocabSize(c: SelectiveCopyingConfig): number {
  return c.dataVocab + 2;
}

/** A batch drawn from `next` (uniform [0, 1)): same generator state, same batch. */
export function makeBatch(c: SelectiveCopyingConfig, batch: number, next: () => number): CopyBatch {
  const length = c.seqlen + c.tokens;
  const ids = new Float32Array(batch * length);
  const targets = new Float32Array(batch * length).fill(IGNORE);
  const marker = c.dataVocab + 1;
  const positions = new Int32Array(c.seqlen);
  for (let b = 0; b < batch; b++) {
    const row = b * length;
    // K distinct positions: a partial Fisher–Yates shuffle of 0..seqlen-1, then sorted
    for (let i = 0; i < c.seqlen; i++) positions[i] = i;
    for (let i = 0; i < c.tokens; i++) {
      const j = i + Math.floor(next() * (c.seqlen - i));
      const t = positions[i];
      positions[i] = positions[j];
      positions[j] = t;
    }
    const chosen = Array.from(positions.subarray(0, c.tokens)).sort((x, y) => x - y);
    chosen.forEach((p, j) => {
      const token = 1 + Math.floor(next() * c.dataVocab);
      ids[row + p] = token;
      ids[row + c.seqlen + j] = marker;
      targets[row + c.seqlen + j] = token;
    });
  }
  return { ids, targets, batch, length };
}

/** Correct and counted target positions, from logits (batch·length, vocab) on the host. */
export function countCorrect(
  logits: ArrayLike<number>,
  targets: Float32Array,
  vocab: number,
): { correct: number; total: number } {
  let correct = 0;
  let total = 0;
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r];
    if (t === IGNORE) continue;
    let best = 0;
    for (let v = 1; v < vocab; v++) if (logits[r * vocab + v] > logits[r * vocab + best]) best = v;
    total++;
    if (best === t) correct++;
  }
  return { correct, total };
}
