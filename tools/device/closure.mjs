#!/usr/bin/env node
// Lists what the GPU machine needs from node_modules to run vitest: the pnpm store entries
// (node_modules/.pnpm/<id>) reachable from `vitest` through dependencies and the optional
// dependencies installed here, plus the workspace's own symlinks. Prints one path a line,
// relative to the repository root, for `tar -T -`.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const store = path.join(root, 'node_modules/.pnpm');

/** Node's lookup: <dir>/node_modules/<name> for every dir from `from` upwards. */
function resolveDir(from, name) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === root || dir === path.dirname(dir)) return null;
  }
}

const seen = new Set();
const queue = process.argv.slice(2).map((name) => resolveDir(root, name));
while (queue.length > 0) {
  const dir = queue.pop();
  if (!dir || seen.has(dir)) continue;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
  for (const name of Object.keys(deps)) queue.push(resolveDir(dir, name));
}

const entries = new Set();
for (const dir of seen) {
  const rel = path.relative(store, dir);
  if (!rel.startsWith('..')) entries.add(path.join('node_modules/.pnpm', rel.split(path.sep)[0]));
}
const out = [...entries].sort();
out.push('node_modules/.pnpm/node_modules', 'node_modules/.modules.yaml');
for (const top of ['vitest', 'vite']) out.push(`node_modules/${top}`);
for (const p of readdirSync(path.join(root, 'packages'))) {
  const nm = path.join('packages', p, 'node_modules');
  if (existsSync(path.join(root, nm))) out.push(nm);
}
process.stdout.write(`${out.join('\n')}\n`);
