import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK } from '../errors';
import { captureIo } from '../io';
import { main } from '../main';
import { TINY_SHAPE } from '../shapes';
import { registerBrokenCuda } from './broken_backend';

const tiny = Object.values(TINY_SHAPE).join(',');

describe('sscan check', () => {
  it('passes on the CPU backend against its float64 run, forward and backward', async () => {
    const io = captureIo();
    const code = await main(['check', '--device', 'cpu', '--shape', tiny], io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(EXIT_OK);
    const text = io.text();
    for (const name of ['out', 'du', 'ddelta', 'dA', 'dB', 'dC', 'dD', 'dz', 'dDeltaBias']) {
      expect(text).toMatch(new RegExp(`^  ${name}\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+ok$`, 'm'));
    }
    expect(text).toContain('time: forward');
    expect(io.stdout.at(-1)).toBe('PASS');
  });

  it('passes for 16-bit inputs and without the optional parts', async () => {
    const io = captureIo();
    const argv = [
      'check',
      '--device',
      'cpu',
      '--shape',
      tiny,
      '--dtype',
      'bfloat16,float16',
      '--no-z',
      '--no-d',
      '--constant-bc',
    ];
    expect(await main(argv, io)).toBe(EXIT_OK);
    expect(io.text()).toContain('bfloat16: pass');
    expect(io.text()).not.toMatch(/^ {2}dz/m);
  });

  it('passes with complex A, B and C, variable and constant', async () => {
    for (const extra of [[], ['--constant-bc']]) {
      const io = captureIo();
      expect(await main(['check', '--device', 'cpu', '--shape', tiny, '--complex', ...extra], io)).toBe(
        EXIT_OK,
      );
      expect(io.text()).toContain('complex A/B/C');
    }
  });

  it('fails with exit code 1 when a backend computes the wrong output', async () => {
    registerBrokenCuda(0.05);
    const io = captureIo();
    const code = await main(['check', '--device', 'cuda', '--shape', tiny, '--no-backward'], io);
    expect(code).toBe(EXIT_FAILURE);
    expect(io.text()).toMatch(/^ {2}out .*FAIL \(\d+\/\d+ outside; worst \[\d+\]: got /m);
    expect(io.stdout.at(-1)).toBe('FAIL');
  });

  it('passes that same wrapper when it does not perturb', async () => {
    registerBrokenCuda(0);
    const io = captureIo();
    expect(await main(['check', '--device', 'cuda', '--shape', tiny], io)).toBe(EXIT_OK);
  });
});
