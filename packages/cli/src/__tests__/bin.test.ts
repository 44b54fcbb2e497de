/**
 * The built executable, as `sscan` runs after `nx run @sscan/cli:build` (nx builds it, and
 * the packages it imports, before this package's tests). Skipped when there is no build,
 * e.g. vitest run straight from a fresh checkout.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_USAGE } from '../errors';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

function sscan(...args: string[]) {
  // Spawned directly, not through `node`: the shebang and the executable bit are under test too.
  return spawnSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

describe.skipIf(!existsSync(bin))('dist/bin.js', () => {
  it('is an executable node script', () => {
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
  });

  it('prints its version and the backends', () => {
    const version = sscan('--version');
    expect(version.status).toBe(EXIT_OK);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const info = sscan('info');
    expect(info.stderr).toBe('');
    expect(info.status).toBe(EXIT_OK);
    for (const name of ['cuda', 'rocm', 'cpu'])
      expect(info.stdout).toMatch(new RegExp(`^ {2}${name} +priority`, 'm'));
  });

  it('exits 2 on a bad flag, naming it on stderr', () => {
    const r = sscan('bench', '--shape', '1,2');
    expect(r.status).toBe(EXIT_USAGE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("flag '--shape' expects four positive integers");
  });
});
