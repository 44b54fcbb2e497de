import { backendInfo } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../args';
import { COMMANDS } from '../commands/index';
import { EXIT_OK, EXIT_USAGE, UsageError } from '../errors';
import { captureIo } from '../io';
import { main } from '../main';
import { parseShapeFlag } from '../shapes';

const specs = {
  shape: { type: 'string', multiple: true, value: 'b,d,l,n', description: '' },
  reps: { type: 'string', value: 'n', description: '' },
  'no-backward': { type: 'boolean', description: '' },
} as const;

describe('parseFlags', () => {
  it('collects values, repeats and switches', () => {
    const { values, positionals } = parseFlags(specs, [
      '--shape',
      '1,2,3,4',
      '--shape=5,6,7,8',
      '--reps',
      '3',
      '--no-backward',
    ]);
    expect(values.shape).toEqual(['1,2,3,4', '5,6,7,8']);
    expect(values.reps).toBe('3');
    expect(values['no-backward']).toBe(true);
    expect(values.help).toBe(false);
    expect(positionals).toEqual([]);
  });

  it('names an unknown flag and lists the known ones', () => {
    expect(() => parseFlags(specs, ['--rep', '3'])).toThrow(UsageError);
    expect(() => parseFlags(specs, ['--rep', '3'])).toThrow(
      /unknown flag '--rep': expected one of --shape, --reps, --no-backward, --help/,
    );
  });

  it('says a value is missing, and which flag came instead', () => {
    expect(() => parseFlags(specs, ['--reps'])).toThrow(
      "flag '--reps' expects a value (--reps n), got nothing",
    );
    expect(() => parseFlags(specs, ['--reps', '--no-backward'])).toThrow(
      "flag '--reps' expects a value (--reps n), got the flag '--no-backward'",
    );
  });

  it('refuses a value on a switch', () => {
    expect(() => parseFlags(specs, ['--no-backward=yes'])).toThrow(
      "flag '--no-backward' expects no value (it is a switch), got '--no-backward=yes'",
    );
  });
});

describe('parseShapeFlag', () => {
  it('reads b,d,l,n', () => {
    expect(parseShapeFlag('--shape', '1, 1536,512,16')).toEqual({
      batch: 1,
      dim: 1536,
      seqlen: 512,
      dstate: 16,
    });
  });

  it.each([
    '1,2,3',
    '1,2,3,0',
    '1,2,x,4',
    '1.5,2,3,4',
    '',
  ])('rejects %j naming flag, expectation and value', (v) => {
    expect(() => parseShapeFlag('--shape', v)).toThrow(
      `flag '--shape' expects four positive integers b,d,l,n (batch, dim, seqlen, dstate), e.g. 1,1536,512,16, got '${v}'`,
    );
  });
});

describe('main', () => {
  it('prints help for sscan and every command, exit 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(EXIT_OK);
    for (const c of COMMANDS) expect(io.text()).toContain(c.name);
    for (const c of COMMANDS) {
      const cio = captureIo();
      expect(await main([c.name, '--help'], cio)).toBe(EXIT_OK);
      expect(cio.text()).toContain(`Usage: sscan ${c.name} [flags]`);
      expect(cio.text()).toContain('--help');
    }
  });

  it('exits 2 without a command, or with an unknown one', async () => {
    const none = captureIo();
    expect(await main([], none)).toBe(EXIT_USAGE);
    expect(none.stderr.join('\n')).toContain('Usage: sscan <command>');
    const bad = captureIo();
    expect(await main(['chek'], bad)).toBe(EXIT_USAGE);
    expect(bad.stderr[0]).toBe(
      `sscan: expected a command (${COMMANDS.map((c) => c.name).join(', ')}), got 'chek'`,
    );
  });

  it.each([
    [['check', '--shape', '1,2,3'], "sscan check: flag '--shape' expects four positive integers"],
    [
      ['check', '--dtype', 'float8'],
      "sscan check: flag '--dtype' expects one of float32, float16, bfloat16, float64, got 'float8'",
    ],
    [
      ['check', '--device', 'tpu'],
      "sscan check: flag '--device' expects a device: cpu, cuda, cuda:<index>, rocm or rocm:<index>, got 'tpu'",
    ],
    [['bench', '--reps', '0'], "sscan bench: flag '--reps' expects an integer ≥ 1, got '0'"],
    [['bench', '--frobnicate'], "sscan bench: unknown flag '--frobnicate'"],
    [['info', 'extra'], "sscan info: 'sscan info' takes no positional arguments, got 'extra'"],
  ])('exits 2 on %j with a message naming the flag', async (argv, message) => {
    const io = captureIo();
    expect(await main(argv, io)).toBe(EXIT_USAGE);
    expect(io.stderr[0]).toContain(message);
    expect(io.stderr[1]).toMatch(/--help/);
    expect(io.stdout).toEqual([]);
  });

  const cuda = backendInfo().find((b) => b.name === 'cuda');
  it.skipIf(cuda?.status !== 'unavailable')(
    "exits 1 with core's reason when --device names a backend that cannot run here",
    async () => {
      const io = captureIo();
      expect(await main(['check', '--device', 'cuda', '--shape', '1,2,3,4'], io)).toBe(1);
      expect(io.stderr[0]).toBe(
        `sscan check: --device cuda: the cuda backend cannot run here: ${cuda?.reason}`,
      );
    },
  );

  it('exits 2 for a device index past the last device', async () => {
    const io = captureIo();
    expect(await main(['bench', '--device', 'cpu:1'], io)).toBe(EXIT_USAGE);
    expect(io.stderr[0]).toContain(
      "flag '--device' expects a device: cpu, cuda, cuda:<index>, rocm or rocm:<index>, got 'cpu:1'",
    );
  });
});
