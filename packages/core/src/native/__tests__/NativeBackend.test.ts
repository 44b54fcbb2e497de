/**
 * NativeBackend over an in-memory fake addon: memory round trips, the packing of scan
 * arguments into the layout the addon names, and the host fallback of model ops, which
 * must give what the CPU backend gives. Fresh random data every run.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../backend';
import { CpuBackend } from '../../cpu/CpuBackend';
import type { BufferRef, SelectiveScanArgs, Storage } from '../../kernel_names';
import { NativeBackend } from '../NativeBackend';
import { NativeStorage } from '../NativeStorage';
import { FakeAddon, LAYOUT, MODEL_OP_LAYOUT } from './fake_addon';

const randInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

function contiguous(
  storage: Storage,
  shape: number[],
  offset = 0,
  dtype: BufferRef['dtype'] = 'float32',
): BufferRef {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { storage, dtype, shape, strides, offset };
}

function make(addon = new FakeAddon()) {
  return { addon, gpu: new NativeBackend(addon, 'cuda', { hostFallback: new CpuBackend() }) };
}

function upload(gpu: Backend, values: Float32Array, padElements = 0): Storage {
  const s = gpu.allocate(0, (values.length + padElements) * 4);
  gpu.write(s, padElements * 4, new Uint8Array(values.buffer));
  return s;
}

describe('NativeBackend memory', () => {
  it('writes and reads back random bytes, sync and async, and frees by handle', async () => {
    const { addon, gpu } = make();
    const n = randInt(1, 5000);
    const bytes = Uint8Array.from({ length: n }, () => randInt(0, 255));
    const s = gpu.allocate(0, n + 7);
    gpu.write(s, 7, bytes);
    expect(gpu.readSync(s, 7, n)).toEqual(bytes);
    expect(await gpu.read(s, 7, n)).toEqual(bytes);
    const t = gpu.allocate(0, n);
    gpu.copy(t, 0, s, 7, n);
    expect(gpu.readSync(t, 0, n)).toEqual(bytes);
    expect(gpu.memoryStats()[0].liveBytes).toBe(2 * n + 7);
    gpu.release(s);
    gpu.release(t);
    expect(addon.memory.size).toBe(0);
    expect(() => gpu.release(s)).toThrow(RangeError);
  });

  it('refuses storage of another backend, naming the argument', () => {
    const { gpu } = make();
    const cpuStorage = new CpuBackend().allocate(0, 16);
    expect(() => gpu.write(cpuStorage, 0, new Uint8Array(4))).toThrow(
      /'dst' must live on this GPU backend, got CpuStorage/,
    );
  });
});

describe('NativeBackend scan argument packing', () => {
  it('puts sizes, flags, handles and byte offsets where the layout names them', () => {
    const { addon, gpu } = make();
    addon.savedBytesValue = randInt(1, 1 << 16);
    const batch = randInt(1, 3);
    const dim = randInt(1, 8);
    const seqlen = randInt(1, 40);
    const dstate = randInt(1, 16);
    const uOffset = randInt(0, 9);
    const x = (offset: number) =>
      contiguous(gpu.allocate(0, (offset + batch * dim * seqlen) * 4), [batch, dim, seqlen], offset);
    const u = x(uOffset);
    const delta = x(0);
    const out = x(0);
    const A = contiguous(gpu.allocate(0, dim * dstate * 4), [dim, dstate]);
    const args: SelectiveScanArgs = {
      u,
      delta,
      A,
      B: A,
      C: A,
      D: null,
      z: null,
      deltaBias: null,
      initialState: null,
      out,
      lastState: null,
      saveForBackward: true,
      batch,
      dim,
      seqlen,
      dstate,
      groups: 1,
      deltaSoftplus: Math.random() < 0.5,
      isComplex: false,
      variableB: false,
      variableC: false,
    };
    const { saved } = gpu.selectiveScan(args);
    expect(saved).toBeInstanceOf(NativeStorage);
    expect(saved?.byteLength).toBe(addon.savedBytesValue);
    const call = addon.calls[0];
    const meta = (name: string) => call.meta[LAYOUT.meta.indexOf(name)];
    const slot = (name: string) => [
      call.buffers[2 * LAYOUT.fwd.indexOf(name)],
      call.buffers[2 * LAYOUT.fwd.indexOf(name) + 1],
    ];
    expect([meta('batch'), meta('dim'), meta('seqlen'), meta('dstate'), meta('groups')]).toEqual([
      batch,
      dim,
      seqlen,
      dstate,
      1,
    ]);
    expect(meta('deltaSoftplus')).toBe(Number(args.deltaSoftplus));
    expect(meta('dtype')).toBe(0);
    expect(slot('u')).toEqual([(u.storage as NativeStorage).handle, BigInt(uOffset * 4)]);
    expect(slot('out')).toEqual([(out.storage as NativeStorage).handle, 0n]);
    expect(slot('D')).toEqual([0n, 0n]);
    expect(slot('saved')[0]).toBe((saved as NativeStorage).handle);
  });

  it('fails at construction when the addon lacks a slot, naming it', () => {
    const layout = { ...LAYOUT, bwd: LAYOUT.bwd.filter((n) => n !== 'dInitialState') };
    expect(() => make(new FakeAddon(layout))).toThrow(/layout\.bwd has no slot 'dInitialState'/);
  });

  it('rejects 64-bit floats for the GPU scan with a TypeError', () => {
    const { gpu } = make();
    const s = gpu.allocate(0, 64);
    const r = contiguous(s, [1, 1, 1], 0, 'float64');
    const args = {
      u: r,
      delta: r,
      A: r,
      B: r,
      C: r,
      D: null,
      z: null,
      deltaBias: null,
      initialState: null,
      out: r,
      lastState: null,
      saveForBackward: false,
      batch: 1,
      dim: 1,
      seqlen: 1,
      dstate: 1,
      groups: 1,
      deltaSoftplus: false,
      isComplex: false,
      variableB: false,
      variableC: false,
    } satisfies SelectiveScanArgs;
    expect(() => gpu.selectiveScan(args)).toThrow(
      /selectiveScan: argument 'u' must be float32, float16 or bfloat16/,
    );
  });
});

describe('NativeBackend model ops', () => {
  it('run through modelOp and give what the CPU backend gives, into the right part of a shared storage', () => {
    const { addon, gpu } = make();
    const cpu = new CpuBackend();
    const n = randInt(1, 300);
    const a = Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
    const b = Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
    const pad = randInt(1, 5);
    // out shares one storage with a (after it), to catch offset and write-range mistakes.
    const shared = gpu.allocate(0, (pad + 2 * n) * 4);
    gpu.write(shared, pad * 4, new Uint8Array(a.buffer));
    const bDev = upload(gpu, b);
    gpu.binary({
      op: 'mul',
      a: contiguous(shared, [n], pad),
      b: contiguous(bDev, [n]),
      out: contiguous(shared, [n], pad + n),
    });
    const call = addon.calls.at(-1);
    expect([call?.kernel, call?.name]).toEqual(['model', 'Binary']);

    const ca = upload(cpu, a);
    const cb = upload(cpu, b);
    const co = cpu.allocate(0, n * 4);
    cpu.binary({ op: 'mul', a: contiguous(ca, [n]), b: contiguous(cb, [n]), out: contiguous(co, [n]) });

    const got = new Float32Array(gpu.readSync(shared, (pad + n) * 4, n * 4).buffer);
    expect(got).toEqual(new Float32Array(cpu.readSync(co, 0, n * 4).buffer));
    expect(new Float32Array(gpu.readSync(shared, pad * 4, n * 4).buffer)).toEqual(a);
    expect(gpu.hostFallbackCount).toBe(0);
  });

  it('falls back to the host only for a view of more axes than the addon takes', () => {
    const { gpu } = make();
    // nine axes of 2, a walked in the opposite order of out: no two axes merge
    const shape = new Array(9).fill(2);
    const values = Float32Array.from({ length: 512 }, () => Math.random());
    const a = upload(gpu, values);
    const out = gpu.allocate(0, 512 * 4);
    const reversed = shape.map((_, i) => 2 ** i);
    const aRef: BufferRef = { storage: a, dtype: 'float32', shape, strides: reversed, offset: 0 };
    gpu.binary({ op: 'add', a: aRef, b: aRef, out: contiguous(out, shape) });
    expect(gpu.hostFallbackCount).toBe(1);
    const got = new Float32Array(gpu.readSync(out, 0, 512 * 4).buffer);
    for (let i = 0; i < 512; i++) {
      // flat index i of out walks a with the bits of i reversed
      let j = 0;
      for (let d = 0; d < 9; d++) j |= ((i >> (8 - d)) & 1) << d;
      expect(got[i]).toBe(Math.fround(2 * values[j]));
    }
  });

  it("the fake addon's modelOpLayout is the built addon's (when kernels-cuda is built here)", () => {
    let built: { modelOpLayout?: unknown } | null = null;
    try {
      const require = createRequire(import.meta.url);
      const binary = require
        .resolve('@sscan/kernels-cuda/package.json')
        .replace('package.json', 'build/Release/sscan_cuda.node');
      if (existsSync(binary)) built = require(binary);
    } catch {
      built = null;
    }
    if (built === null) {
      console.log('[NativeBackend] kernels-cuda is not built here: layout comparison not run');
      return;
    }
    expect(built.modelOpLayout).toEqual(MODEL_OP_LAYOUT);
  });

  it('copies contiguous same-dtype strided copies on the device, without the host', () => {
    const { gpu } = make();
    const n = randInt(2, 100);
    const v = Float32Array.from({ length: n }, () => Math.random());
    const src = upload(gpu, v, 3);
    const dst = gpu.allocate(0, n * 4);
    gpu.stridedCopy({ src: contiguous(src, [n], 3), dst: contiguous(dst, [n]) });
    expect(new Float32Array(gpu.readSync(dst, 0, n * 4).buffer)).toEqual(v);
    expect(gpu.hostFallbackCount).toBe(0);
  });
});
