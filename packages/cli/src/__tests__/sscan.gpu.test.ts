/**
 * sscan on a real GPU (`pnpm --filter @sscan/cli test:gpu` on a GPU machine): cuda is the
 * default backend, `check` passes against the CPU backend, and `bench` runs the default GPU
 * table, timing between device synchronisations, and writes its record. Each command's
 * output goes to the log (the numbers are the point). No silent skip: without a usable GPU
 * the first test fails with core's reason.
 *
 * SSCAN_GPU_OUT=<dir> keeps the bench record there (default: a temporary folder).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendInfo } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import type { BenchRecord } from '../bench_record';
import { EXIT_OK } from '../errors';
import { captureIo } from '../io';
import { main } from '../main';
import { GPU_BENCH_CASES } from '../shapes';

const outDir = process.env.SSCAN_GPU_OUT ?? mkdtempSync(join(tmpdir(), 'sscan-gpu-'));

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  const io = captureIo();
  const code = await main(argv, io);
  const text = io.text();
  console.log(`$ sscan ${argv.join(' ')}  → exit ${code}\n${text}`);
  return { code, text };
}

describe('sscan on a GPU', () => {
  it('info: cuda is the active backend and lists its device', async () => {
    const cuda = backendInfo().find((b) => b.name === 'cuda');
    expect(cuda?.status === 'active' ? 'active' : `${cuda?.status}: ${cuda?.reason}`).toBe('active');
    const { code, text } = await run(['info']);
    expect(code).toBe(EXIT_OK);
    expect(text).toMatch(/^ {2}cuda:0 {2}\S/m);
  });

  it('check: cuda against the CPU backend, float32 and bfloat16, at the default Mamba-layer shape', async () => {
    const { code, text } = await run(['check', '--dtype', 'float32,bfloat16']);
    expect(text).toContain('sscan check on cuda:0');
    expect(code).toBe(EXIT_OK);
  });

  it('check: long sequence, constant B/C, no softplus', async () => {
    const { code } = await run([
      'check',
      '--shape',
      '1,64,4096,16',
      '--constant-bc',
      '--no-softplus',
      '--dtype',
      'float16',
    ]);
    expect(code).toBe(EXIT_OK);
  });

  it('bench: the default GPU table, forward and backward, writes its record', async () => {
    const file = join(outDir, 'bench-gpu.json');
    const { code } = await run(['bench', '--reps', '20', '--warmup', '5', '--json', file]);
    const record = JSON.parse(readFileSync(file, 'utf8')) as BenchRecord;
    expect(record.backend.device).toBe('cuda:0');
    expect(record.failures).toEqual([]);
    expect(record.results).toHaveLength(GPU_BENCH_CASES.length);
    for (const r of record.results) expect(r.forward.stateUpdatesPerSec).toBeGreaterThan(0);
    expect(code).toBe(EXIT_OK);
  });
});
