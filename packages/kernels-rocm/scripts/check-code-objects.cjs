#!/usr/bin/env node
// Checks what the built sscan_rocm.node holds for each GPU architecture, since no AMD GPU runs
// our CI to find out by launching:
//   1. every architecture asked for has a code object in every offload bundle (one bundle per
//      source file with kernels): a target silently dropped would only show up on a user's GPU;
//   2. every architecture has the same kernels: the host side registers one set of kernels, so
//      if a target compiled different template instances (the warp width differs per target,
//      64 on CDNA and 32 on RDNA, but it must change what a kernel computes, never which
//      kernels exist), that target's launches would fail with hipErrorInvalidDeviceFunction;
//   3. every kernel has its host-side handle (the symbol the host launches through).
//
//   node scripts/check-code-objects.cjs [binary] [--archs gfx90a,gfx1030]
// --archs defaults to the build's SSCAN_HIP_ARCHS (build/CMakeCache.txt). Exits 1 on a problem.
// Reads the ELF files itself (little-endian ELF64 only), so it needs no ROCm tool.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const BUNDLE_MAGIC = '__CLANG_OFFLOAD_BUNDLE__';

function sections(elf) {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new Error('not a little-endian ELF64 file');
  }
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: elf.readUInt32LE(o),
      type: elf.readUInt32LE(o + 4),
      offset: Number(elf.readBigUInt64LE(o + 0x18)),
      size: Number(elf.readBigUInt64LE(o + 0x20)),
      link: elf.readUInt32LE(o + 0x28),
      entsize: Number(elf.readBigUInt64LE(o + 0x38)),
    });
  }
  const names = raw[shstrndx];
  const cstr = (buf, at) => buf.toString('latin1', at, buf.indexOf(0, at));
  return raw.map((s) => ({
    ...s,
    name: cstr(elf, names.offset + s.nameOff),
    data: elf.subarray(s.offset, s.offset + s.size),
  }));
}

/** Names of the symbols in .symtab, with their type (1 = OBJECT, 2 = FUNC). */
function symbols(elf) {
  const secs = sections(elf);
  const symtab = secs.find((s) => s.type === 2); // SHT_SYMTAB
  if (!symtab) return [];
  const strtab = secs[symtab.link].data;
  const out = [];
  for (let o = 0; o + 24 <= symtab.size; o += 24) {
    const nameOff = symtab.data.readUInt32LE(o);
    const info = symtab.data[o + 4];
    if (nameOff === 0) continue;
    out.push({ name: strtab.toString('latin1', nameOff, strtab.indexOf(0, nameOff)), type: info & 0xf });
  }
  return out;
}

/** The offload bundles in .hip_fatbin: [{ at, entries: [{ target, data }] }]. */
function bundles(fatbin) {
  const found = [];
  for (let at = fatbin.indexOf(BUNDLE_MAGIC); at >= 0; at = fatbin.indexOf(BUNDLE_MAGIC, at + 1)) {
    const count = Number(fatbin.readBigUInt64LE(at + 24));
    let p = at + 32;
    const entries = [];
    for (let i = 0; i < count; i++) {
      const offset = Number(fatbin.readBigUInt64LE(p));
      const size = Number(fatbin.readBigUInt64LE(p + 8));
      const idLength = Number(fatbin.readBigUInt64LE(p + 16));
      const id = fatbin.toString('latin1', p + 24, p + 24 + idLength);
      p += 24 + idLength;
      // hipv4-amdgcn-amd-amdhsa--gfx90a[:xnack-]; the host entry is empty.
      if (id.startsWith('host-')) continue;
      entries.push({
        target: id.split('--')[1] ?? id,
        data: fatbin.subarray(at + offset, at + offset + size),
      });
    }
    found.push({ at, entries });
  }
  return found;
}

function kernelsOf(codeObject) {
  return new Set(
    symbols(codeObject)
      .filter((s) => s.name.endsWith('.kd'))
      .map((s) => s.name.slice(0, -3)),
  );
}

function archsFromCache(root) {
  try {
    const cache = fs.readFileSync(path.join(root, 'build', 'CMakeCache.txt'), 'utf8');
    return /^SSCAN_HIP_ARCHS:[A-Z]+=(.*)$/m.exec(cache)?.[1].split(';').filter(Boolean) ?? null;
  } catch {
    return null;
  }
}

/** Returns a list of problems (empty: all good) and a summary line per architecture. */
function check(binaryPath, archs) {
  const elf = fs.readFileSync(binaryPath);
  const fatbin = sections(elf).find((s) => s.name === '.hip_fatbin');
  if (!fatbin)
    return { problems: [`${binaryPath} has no .hip_fatbin section: it holds no GPU code`], summary: [] };
  const hostObjects = new Set(
    symbols(elf)
      .filter((s) => s.type === 1)
      .map((s) => s.name),
  );
  const problems = [];
  const perArch = new Map(archs.map((a) => [a, 0]));
  const all = bundles(fatbin.data);
  all.forEach((bundle, i) => {
    const byArch = new Map(bundle.entries.map((e) => [e.target, kernelsOf(e.data)]));
    for (const arch of archs) if (!byArch.has(arch)) problems.push(`bundle ${i}: no code object for ${arch}`);
    const union = new Set([...byArch.values()].flatMap((k) => [...k]));
    for (const [arch, kernels] of byArch) {
      perArch.set(arch, (perArch.get(arch) ?? 0) + kernels.size);
      const missing = [...union].filter((k) => !kernels.has(k));
      if (missing.length > 0) {
        problems.push(
          `bundle ${i}: ${arch} lacks ${missing.length} kernel(s) the other targets have, e.g. ${missing[0]}`,
        );
      }
    }
    const unlaunchable = [...union].filter((k) => !hostObjects.has(k));
    if (unlaunchable.length > 0) {
      problems.push(
        `bundle ${i}: ${unlaunchable.length} kernel(s) without a host handle, e.g. ${unlaunchable[0]}`,
      );
    }
  });
  const summary = [...perArch].map(([arch, n]) => `${arch}: ${n} kernels in ${all.length} bundles`);
  return { problems, summary };
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const args = process.argv.slice(2);
  const archFlag = args.indexOf('--archs');
  const archs =
    archFlag >= 0
      ? args[archFlag + 1].split(/[,;]/).filter(Boolean)
      : (archsFromCache(root) ?? ['gfx90a', 'gfx1030']);
  const binary =
    args.find((a, i) => !a.startsWith('--') && i !== archFlag + 1) ??
    path.join(root, 'build/Release/sscan_rocm.node');
  const { problems, summary } = check(binary, archs);
  for (const line of summary) console.log(`@sscan/kernels-rocm: ${line}`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`@sscan/kernels-rocm: ${p}`);
    process.exit(1);
  }
  console.log(`@sscan/kernels-rocm: code objects OK for ${archs.join(', ')}`);
}

module.exports = { check, bundles, symbols };
