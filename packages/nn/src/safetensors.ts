/**
 * safetensors I/O (https://github.com/huggingface/safetensors, format section): an 8-byte
 * little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}},
 * then the data. Every field is checked before any byte is read, so a malformed file is a clear
 * error, never an out-of-bounds read.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { bytesPerElement, type DType, empty, type Tensor } from '@sscan/core';

const TO_DTYPE: Record<string, DType> = { F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16' };
const FROM_DTYPE: Partial<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
};
/** A header larger than this is refused: real headers are kilobytes; this bounds a bogus length. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

function fail(source: string, what: string): never {
  throw new SafetensorsError(`safetensors: ${source}: ${what}`);
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parse safetensors bytes into tensors on `device` (default: the default backend's). */
export function parseSafetensors(
  bytes: Uint8Array,
  options: { source?: string; device?: string } = {},
): SafetensorsFile {
  const src = options.source ?? 'buffer';
  if (!(bytes instanceof Uint8Array)) fail(src, `expected bytes (Uint8Array), got ${typeof bytes}`);
  if (bytes.byteLength < 8)
    fail(src, `file too short: ${bytes.byteLength} bytes, a header length alone takes 8`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8))
    fail(
      src,
      `header length ${n} runs past the end of the file (${bytes.byteLength - 8} bytes after the length field)`,
    );
  if (n > BigInt(MAX_HEADER_BYTES))
    fail(src, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    fail(src, `header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail(src, 'header must be a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: DType; shape: number[]; begin: number; end: number }> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object') fail(src, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(src, `__metadata__.${k} must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') fail(src, `tensor '${name}': entry must be an object`);
    const dtype = typeof e.dtype === 'string' ? TO_DTYPE[e.dtype] : undefined;
    if (!dtype)
      fail(
        src,
        `tensor '${name}': dtype ${JSON.stringify(e.dtype)} is not supported (expected one of ${Object.keys(TO_DTYPE).join(', ')})`,
      );
    if (!Array.isArray(e.shape) || !e.shape.every((s) => Number.isSafeInteger(s) && s >= 0))
      fail(
        src,
        `tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)}`,
      );
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0))
      fail(src, `tensor '${name}': data_offsets must be [begin, end] integers, got ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    if (begin > end || end > dataLen)
      fail(
        src,
        `tensor '${name}': data_offsets [${begin}, ${end}] out of range of the ${dataLen}-byte data section`,
      );
    const shape = e.shape as number[];
    const expected = shape.reduce((a, b) => a * b, 1) * bytesPerElement(dtype);
    if (end - begin !== expected)
      fail(
        src,
        `tensor '${name}': ${end - begin} data bytes for shape [${shape.join(', ')}] ${e.dtype as string} (expected ${expected})`,
      );
    entries.push({ name, dtype, shape, begin, end });
  }
  // tensors may not overlap (the format also forbids holes; we only need no aliasing)
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end)
      fail(src, `tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap in the data section`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const t = empty(e.shape, { dtype: e.dtype, device: options.device });
    const d = t.data('parseSafetensors');
    // copy out of the file buffer: the data section need not be aligned for typed arrays
    d.backend.write(d.storage, 0, bytes.slice(dataStart + e.begin, dataStart + e.end));
    tensors[e.name] = t;
  }
  return { tensors, metadata };
}

/** Serialise tensors (sorted by name, header padded to 8 bytes as the reference writer does). */
export function serializeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors[name];
    const code = FROM_DTYPE[t.dtype];
    if (!code)
      throw new SafetensorsError(
        `serializeSafetensors: tensor '${name}' has dtype ${t.dtype}, which safetensors files here cannot hold (float32, float64, float16, bfloat16)`,
      );
    const data = t.bytesSync();
    header[name] = { dtype: code, shape: [...t.shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
    chunks.push(data);
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function loadSafetensors(path: string, options: { device?: string } = {}): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new SafetensorsError(
      `safetensors: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return parseSafetensors(bytes, { source: path, device: options.device });
}

export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  writeFileSync(path, serializeSafetensors(tensors, metadata));
}
