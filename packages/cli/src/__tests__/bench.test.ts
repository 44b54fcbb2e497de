import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_SCHEMA, type BenchRecord } from '../bench_record';
import { EXIT_FAILURE, EXIT_OK } from '../errors';
import { captureIo } from '../io';
import { main } from '../main';
import { CPU_BENCH_CASES, GPU_BENCH_CASES, TINY_SHAPE } from '../shapes';
import { registerBrokenCuda } from './broken_backend';

describe('sscan bench', () => {
  it('writes a well-formed JSON record for a tiny shape', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sscan-bench-')), 'nested', 'record.json');
    const io = captureIo();
    const shape = Object.values(TINY_SHAPE).join(',');
    const argv = [
      'bench',
      '--device',
      'cpu',
      '--shape',
      shape,
      '--dtype',
      'float32,bfloat16',
      '--reps',
      '3',
      '--warmup',
      '1',
      '--json',
      file,
    ];
    expect(await main(argv, io)).toBe(EXIT_OK);
    expect(io.stdout.at(-1)).toBe(`wrote ${file}`);

    const record = JSON.parse(readFileSync(file, 'utf8')) as BenchRecord;
    expect(record.schema).toBe(BENCH_SCHEMA);
    expect(record.backend.device).toBe('cpu');
    expect(record.settings).toMatchObject({ reps: 3, warmup: 1, backward: true });
    expect(record.settings.sets).toBeGreaterThanOrEqual(2);
    expect(record.results.map((r) => r.dtype)).toEqual(['float32', 'bfloat16']);
    for (const r of record.results) {
      expect(r.shape).toEqual(TINY_SHAPE);
      expect(r.stateUpdates).toBe(1 * 8 * 32 * 4);
      for (const pass of [r.forward, r.backward]) {
        expect(pass).not.toBeNull();
        expect(pass?.timesMs).toHaveLength(3);
        expect(pass?.medianMs).toBeGreaterThan(0);
        expect(pass?.stateUpdatesPerSec).toBeCloseTo(r.stateUpdates / (pass!.medianMs / 1000));
        expect(pass?.gbPerSec).toBeGreaterThan(0);
      }
    }
    // Forward bytes: u, delta, z, out (8·32 each) + B, C (4·32) in the input dtype; A (8·4), D, deltaBias (8) float32.
    const f32 = record.results[0].forward.bytes;
    expect(f32).toBe(4 * (4 * 8 * 32 + 2 * 4 * 32) + 4 * (8 * 4 + 2 * 8));
  });

  it('skips the backward on request', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sscan-bench-')), 'r.json');
    const io = captureIo();
    const shape = Object.values(TINY_SHAPE).join(',');
    expect(
      await main(
        ['bench', '--device', 'cpu', '--shape', shape, '--reps', '1', '--no-backward', '--json', file],
        io,
      ),
    ).toBe(EXIT_OK);
    const record = JSON.parse(readFileSync(file, 'utf8')) as BenchRecord;
    expect(record.results[0].backward).toBeNull();
  });

  it('keeps the forward timing, reports the backward failure and exits 1 when a backward throws', async () => {
    registerBrokenCuda(0, { backwardThrows: true });
    const file = join(mkdtempSync(join(tmpdir(), 'sscan-bench-')), 'r.json');
    const io = captureIo();
    const shape = Object.values(TINY_SHAPE).join(',');
    expect(
      await main(['bench', '--device', 'cuda', '--shape', shape, '--reps', '1', '--json', file], io),
    ).toBe(EXIT_FAILURE);
    expect(io.text()).toContain('backward  FAILED: selectiveScanBackward: not in this test backend');
    const record = JSON.parse(readFileSync(file, 'utf8')) as BenchRecord;
    expect(record.backend.device).toBe('cuda:0');
    expect(record.results[0].forward.timesMs).toHaveLength(1);
    expect(record.results[0].backward).toBeNull();
    expect(record.results[0].backwardError).toContain('not in this test backend');
  });

  it('keeps the documented default shapes', () => {
    expect(CPU_BENCH_CASES).toEqual([
      { shape: { batch: 1, dim: 1536, seqlen: 512, dstate: 16 }, dtype: 'float32' },
    ]);
    expect(GPU_BENCH_CASES).toHaveLength(10);
  });
});
