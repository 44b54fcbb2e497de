/** `sscan train`: flags, a tiny seeded run with progress and eval, checkpoint and resume. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@sscan/nn';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../io';
import { main } from '../main';
import { countCorrect, IGNORE, makeBatch } from '../selective_copying';

const TINY = [
  '--seqlen',
  '8',
  '--tokens',
  '2',
  '--data-vocab',
  '3',
  '--batch',
  '4',
  '--d-model',
  '8',
  '--layers',
  '1',
  '--d-state',
  '4',
  '--eval-batches',
  '1',
];

describe('sscan train', () => {
  it('the task puts K data tokens in the region, K markers after it, targets only at the markers', () => {
    const seed = (Date.now() >>> 0) % 100000;
    console.log(`[selective copying data] seed ${seed}`);
    const next = createRng(seed).next;
    const c = { seqlen: 20, tokens: 5, dataVocab: 6 };
    const b = makeBatch(c, 3, next);
    for (let r = 0; r < 3; r++) {
      const row = Array.from(b.ids.subarray(r * 25, r * 25 + 25));
      const data = row.slice(0, 20).filter((t) => t !== 0);
      expect(data.length).toBe(5);
      expect(row.slice(20)).toEqual([7, 7, 7, 7, 7]);
      expect(Array.from(b.targets.subarray(r * 25 + 20, r * 25 + 25))).toEqual(data);
      expect(Array.from(b.targets.subarray(r * 25, r * 25 + 20)).every((t) => t === IGNORE)).toBe(true);
    }
    // logits that put the target first score 100%
    const logits = new Float32Array(b.targets.length * 8);
    b.targets.forEach((t, i) => {
      if (t !== IGNORE) logits[i * 8 + t] = 1;
    });
    expect(countCorrect(logits, b.targets, 8)).toEqual({ correct: 15, total: 15 });
  });

  it('trains, evaluates, checkpoints, and resumes from the checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sscan-train-'));
    const io = captureIo();
    const code = await main(
      ['train', ...TINY, '--steps', '4', '--eval-every', '2', '--checkpoint', dir, '--stop-at', '1'],
      io,
    );
    expect(code).toBe(0);
    const text = io.text();
    expect(text).toMatch(/step 2: held-out loss \d+\.\d+, accuracy \d+\.\d+% \(8 tokens\)/);
    expect(text).toMatch(/done: 4 steps in/);
    for (const f of ['model.safetensors', 'config.json', 'optimizer.safetensors'])
      expect(existsSync(join(dir, f))).toBe(true);
    const io2 = captureIo();
    expect(
      await main(
        ['train', ...TINY, '--steps', '6', '--eval-every', '2', '--resume', dir, '--stop-at', '1'],
        io2,
      ),
    ).toBe(0);
    expect(io2.text()).toMatch(/resumed from .* at step 4/);
    expect(io2.text()).toMatch(/step 6: held-out/);
  });

  it('rejects bad flags with flag, expected and got', async () => {
    const io = captureIo();
    expect(await main(['train', '--task', 'copying'], io)).toBe(2);
    expect(io.text()).toMatch(/flag '--task' expects one of selective-copying, got 'copying'/);
    const io2 = captureIo();
    expect(await main(['train', '--seqlen', '4', '--tokens', '5'], io2)).toBe(2);
    expect(io2.text()).toMatch(/flag '--tokens' expects at most --seqlen \(4\) data tokens, got '5'/);
    const io3 = captureIo();
    expect(await main(['train', '--lr', 'fast'], io3)).toBe(2);
    expect(io3.text()).toMatch(/flag '--lr' expects a number in \[0, 1\], got 'fast'/);
    const io4 = captureIo();
    expect(await main(['train', '--preset', 'huge'], io4)).toBe(2);
    expect(io4.text()).toMatch(/flag '--preset' expects one of paper, got 'huge'/);
    // the preset sets the paper's region (4096); an explicit flag still overrides it
    const io5 = captureIo();
    expect(await main(['train', '--preset', 'paper', '--tokens', '5000'], io5)).toBe(2);
    expect(io5.text()).toMatch(/flag '--tokens' expects at most --seqlen \(4096\) data tokens, got '5000'/);
    const io6 = captureIo();
    expect(await main(['train', '--preset', 'paper', '--seqlen', '8', '--tokens', '9'], io6)).toBe(2);
    expect(io6.text()).toMatch(/at most --seqlen \(8\) data tokens/);
  });
});
