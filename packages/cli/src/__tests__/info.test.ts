import { describe, expect, it } from 'vitest';
import { EXIT_OK } from '../errors';
import { captureIo } from '../io';
import { main } from '../main';

describe('sscan info', () => {
  it('lists every backend with its status, and why cuda is not used on a machine without one', async () => {
    const io = captureIo();
    expect(await main(['info'], io)).toBe(EXIT_OK);
    const text = io.text();
    expect(text).toContain('@sscan/core');
    expect(text).toContain(`node ${process.versions.node}`);
    const line = (name: string) => io.stdout.find((l) => l.trimStart().startsWith(`${name} `)) ?? '';
    // Every backend has a status and, after it, why it is or is not used. On a machine
    // without a GPU (CI, this one) cuda and rocm are unavailable with core's reason.
    for (const name of ['cuda', 'rocm', 'cpu']) {
      expect(line(name)).toMatch(/priority \d+\s+(active|available|unavailable)\s+\S.{10,}/);
    }
    expect(line('cpu')).toMatch(/priority 1\s+(active|available)\s/);
    expect(text).toMatch(/Devices:\n\s+cpu\s+\S/);
    expect(text).toContain('Memory');
  });

  it('--json gives the same facts as one object', async () => {
    const io = captureIo();
    expect(await main(['info', '--json'], io)).toBe(EXIT_OK);
    const report = JSON.parse(io.stdout.join('\n')) as {
      backends: { name: string; status: string; why: string }[];
    };
    expect(report.backends.map((b) => b.name)).toEqual(['cuda', 'rocm', 'cpu']);
    for (const b of report.backends) expect(b.why.length).toBeGreaterThan(10);
  });
});
