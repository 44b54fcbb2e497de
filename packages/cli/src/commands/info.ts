/** `sscan info`: what sscan runs with here, and why each backend is or is not used. */
import { type BackendStatus, backendInfo, type DeviceDescription, memoryStats } from '@sscan/core';
import { backendOf, formatBytes } from '../backends';
import { defineCommand } from '../command';
import { EXIT_OK } from '../errors';
import { packageVersions } from '../versions';

interface BackendReport extends BackendStatus {
  /** Why it is (or is not) the default, in words. */
  readonly why: string;
  readonly version?: string;
  readonly devices?: readonly DeviceDescription[];
}

function explain(all: readonly BackendStatus[], b: BackendStatus): string {
  const forced = process.env.SSCAN_BACKEND;
  const active = all.find((x) => x.status === 'active');
  switch (b.status) {
    case 'active':
      return forced
        ? `the default: chosen by SSCAN_BACKEND=${forced}`
        : 'the default: the highest-priority backend that started';
    case 'available':
      return forced
        ? `started, but SSCAN_BACKEND=${forced} chose ${active?.name ?? 'another'}`
        : `started, but ${active?.name ?? 'another backend'} has higher priority (use --device ${b.name} or SSCAN_BACKEND=${b.name})`;
    case 'unavailable':
      return b.reason ?? 'could not start (no reason recorded)';
    case 'untried':
      return 'not tried';
  }
}

export function collectBackends(): BackendReport[] {
  const statuses = backendInfo();
  return statuses.map((b) => {
    const why = explain(statuses, b);
    if (b.status === 'unavailable' || b.status === 'untried') return { ...b, why };
    const described = backendOf(b.name).describe();
    return { ...b, why, version: described.version, devices: described.devices };
  });
}

function describeDevice(type: string, d: DeviceDescription): string {
  const parts = [d.name];
  if (d.totalMemory !== undefined) parts.push(`${formatBytes(d.totalMemory)} memory`);
  for (const [k, v] of Object.entries(d.details ?? {})) parts.push(`${k} ${v}`);
  return `${type === 'cpu' ? 'cpu' : `${type}:${d.index}`}  ${parts.join(', ')}`;
}

export const info = defineCommand({
  name: 'info',
  summary: 'Show versions, backends (and why each is or is not used), devices and memory.',
  description:
    'Tries every registered backend in priority order, as the default-backend choice does, and\n' +
    'prints what each one said. SSCAN_BACKEND=<name> forces a backend.',
  flags: {
    json: { type: 'boolean', description: 'Print one JSON object instead of text.' },
  },
  examples: ['sscan info', 'sscan info --json'],
  async run(flags, io) {
    const versions = packageVersions();
    const backends = collectBackends();
    const memory = memoryStats();
    const runtime = { node: process.versions.node, platform: process.platform, arch: process.arch };
    if (flags.json) {
      io.out(JSON.stringify({ runtime, packages: versions, backends, memory }, null, 2));
      return EXIT_OK;
    }
    io.out(`sscan ${versions[0].version} on node ${runtime.node} (${runtime.platform} ${runtime.arch})`);
    io.out('');
    io.out('Packages:');
    const nameWidth = Math.max(...versions.map((v) => v.name.length));
    for (const v of versions) io.out(`  ${v.name.padEnd(nameWidth)}  ${v.version ?? 'not installed'}`);
    io.out('');
    io.out('Backends, by priority (the default is the first that starts):');
    const bw = Math.max(...backends.map((b) => b.name.length));
    const sw = Math.max(...backends.map((b) => b.status.length));
    for (const b of backends) {
      io.out(`  ${b.name.padEnd(bw)}  priority ${b.priority}  ${b.status.padEnd(sw)}  ${b.why}`);
    }
    io.out('');
    io.out('Devices:');
    for (const b of backends) {
      if (!b.devices) continue;
      for (const d of b.devices) io.out(`  ${describeDevice(b.name, d)}  [${b.name} backend: ${b.version}]`);
    }
    io.out('');
    io.out('Memory (live tensors, bytes held, bytes cached by the allocator):');
    const entries = Object.entries(memory);
    if (entries.length === 0) io.out('  nothing allocated');
    for (const [device, m] of entries) {
      io.out(
        `  ${device}  ${m.tensors} tensors, ${formatBytes(m.bytes)} live, ${formatBytes(m.cachedBytes)} cached`,
      );
    }
    return EXIT_OK;
  },
});
