/** safetensors round trip (exact), HF names, malformed files, and strict loadStateDict. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import {
  loadCheckpoint,
  MambaLM,
  parseSafetensors,
  SafetensorsError,
  saveCheckpoint,
  serializeSafetensors,
} from '../index';
import { testSeed, uniformValues } from './helpers';

/** A file with header `h` (object or raw string) and `data` bytes. */
function fileWith(h: unknown, data = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof h === 'string' ? h : JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round trip of a MambaLM state dict is bit-exact, with HF MambaForCausalLM names and config.json', () => {
    const seed = testSeed('safetensors round trip');
    const lm = new MambaLM({ vocabSize: 11, dModel: 8, nLayer: 2, seed });
    const dir = mkdtempSync(join(tmpdir(), 'sscan-ckpt-'));
    saveCheckpoint(dir, lm, { step: '7' });
    const { model, metadata } = loadCheckpoint(dir);
    expect(metadata.step).toBe('7');
    const a = lm.stateDict();
    const b = model.stateDict();
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a))
      expect(Buffer.from(b[k].bytesSync()).equals(Buffer.from(a[k].bytesSync()))).toBe(true);
    expect(Object.keys(a)).toContain('backbone.embeddings.weight');
    expect(Object.keys(a)).toContain('backbone.layers.1.mixer.dt_proj.bias');
    expect(Object.keys(a)).toContain('backbone.layers.0.norm.weight');
    expect(Object.keys(a)).toContain('backbone.norm_f.weight');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'mamba',
      vocab_size: 11,
      hidden_size: 8,
      num_hidden_layers: 2,
      state_size: 16,
      conv_kernel: 4,
      expand: 2,
      time_step_rank: 1,
    });
  });

  it('all four dtypes survive serialisation exactly', () => {
    const seed = testSeed('safetensors dtypes');
    const v = uniformValues(seed, 6, -100, 100);
    const ts = {
      f32: tensor(v, [2, 3]),
      f64: tensor(v, [3, 2], { dtype: 'float64' }),
      f16: tensor(v, [6], { dtype: 'float16' }),
      bf16: tensor(v, [1, 6], { dtype: 'bfloat16' }),
      empty: tensor([], [0, 4]),
    };
    const back = parseSafetensors(serializeSafetensors(ts, { note: 'x' }));
    expect(back.metadata.note).toBe('x');
    for (const [k, t] of Object.entries(ts)) {
      expect(back.tensors[k].dtype).toBe(t.dtype);
      expect(back.tensors[k].shape).toEqual(t.shape);
      expect(Buffer.from(back.tensors[k].bytesSync()).equals(Buffer.from(t.bytesSync()))).toBe(true);
    }
  });

  const entry = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['a file shorter than the length field', new Uint8Array(5), /file too short: 5 bytes/],
    [
      'a header length past the end',
      fileWith({ w: entry }, new Uint8Array(8), 10_000n),
      /header length 10000 runs past the end/,
    ],
    ['a header that is not JSON', fileWith('{"w": ', new Uint8Array(8)), /header is not valid UTF-8 JSON/],
    [
      'offsets past the data section',
      fileWith({ w: { ...entry, data_offsets: [0, 16] } }, new Uint8Array(8)),
      /tensor 'w': data_offsets \[0, 16\] out of range of the 8-byte data section/,
    ],
    [
      'offsets that disagree with the shape',
      fileWith({ w: { ...entry, shape: [3] } }, new Uint8Array(8)),
      /tensor 'w': 8 data bytes for shape \[3\] F32 \(expected 12\)/,
    ],
    [
      'an unsupported dtype',
      fileWith({ w: { ...entry, dtype: 'I64', data_offsets: [0, 8], shape: [1] } }, new Uint8Array(8)),
      /tensor 'w': dtype "I64" is not supported/,
    ],
    [
      'a negative shape',
      fileWith({ w: { ...entry, shape: [-2] } }, new Uint8Array(8)),
      /shape must be an array of non-negative integers/,
    ],
    [
      'overlapping tensors',
      fileWith({ a: entry, b: { ...entry, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /tensor 'b'.*8 data bytes|overlap/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what} with a clear error`, () => {
      expect(() => parseSafetensors(bytes, { source: 'bad.safetensors' })).toThrow(SafetensorsError);
      expect(() => parseSafetensors(bytes, { source: 'bad.safetensors' })).toThrow(message);
    });
  }

  it('reports a missing file by path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sscan-ckpt-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ model_type: 'mamba', vocab_size: 4, hidden_size: 4, num_hidden_layers: 1 }),
    );
    expect(() => loadCheckpoint(dir)).toThrow(/cannot read .*model.safetensors/);
  });
});

describe('loadStateDict (strict)', () => {
  it('names every missing, unexpected and mis-shaped key at once, and loads nothing', () => {
    const seed = testSeed('stateDict strict');
    const lm = new MambaLM({ vocabSize: 6, dModel: 4, nLayer: 1, seed });
    const sd = { ...lm.stateDict() };
    const before = sd['backbone.norm_f.weight'].toArraySync();
    delete sd['backbone.layers.0.mixer.D'];
    sd['backbone.layers.0.mixer.A_log'] = tensor(new Float32Array(8), [2, 4]);
    sd['backbone.layers.0.mixer.bogus'] = tensor([1], [1]);
    sd['backbone.norm_f.weight'] = tensor(uniformValues(seed, 4), [4]);
    const load = () => lm.loadStateDict(sd);
    expect(load).toThrow(/missing key 'backbone.layers.0.mixer.D' \(expected shape \[8\]\)/);
    expect(load).toThrow(/key 'backbone.layers.0.mixer.A_log' has shape \[2, 4\], expected \[8, 16\]/);
    expect(load).toThrow(/unexpected key 'backbone.layers.0.mixer.bogus'/);
    expect([...lm.stateDict()['backbone.norm_f.weight'].toArraySync()]).toEqual([...before]);
  });

  it('non-strict loads what matches; a tied lm_head.weight is accepted', () => {
    const seed = testSeed('stateDict non-strict');
    const lm = new MambaLM({ vocabSize: 6, dModel: 4, nLayer: 1, seed });
    const w = tensor(uniformValues(seed, 4), [4]);
    lm.loadStateDict({ 'backbone.norm_f.weight': w, extra: w }, { strict: false });
    expect([...lm.stateDict()['backbone.norm_f.weight'].toArraySync()]).toEqual([...w.toArraySync()]);
    const full = { ...lm.stateDict(), 'lm_head.weight': lm.stateDict()['backbone.embeddings.weight'] };
    expect(() => lm.loadStateDict(full)).not.toThrow();
  });
});
