/**
 * Caller-side glue of the CPU scan kernels: turns kernel arguments (BufferRefs) into the plain
 * job objects the self-contained kernels read, and holds the shared 16-bit decode tables.
 */
import { type DType, fromBFloat16Bits, fromFloat16Bits } from '../../dtype';
import type { BufferRef, SelectiveScanAttrs, SelectiveScanInputs } from '../../kernel_names';
import { viewOf } from '../storage';
import type { HalfTables, NumArray, RowKind } from './scan_math';
import type { RealArray, ScanJob } from './scan_rows';

let tables: HalfTables | null = null;

/**
 * Time steps per chunk of a row (scan_rows.ts): rows up to this long are one chunk; longer ones
 * keep the per-thread scratch at O(chunk + dstate) instead of O(seqlen). 2048 float64 steps keep
 * a chunk's ~30 working rows (≈ 0.5 MB) in L2, and are long enough that the per-chunk overhead
 * (and, in the backward, the extra checkpoint pass of long rows) is amortised.
 */
let chunkSteps = 2048;

/** Sets the chunk length (tests use tiny chunks to cross many chunk boundaries); returns the old one. */
export function setScanChunkSteps(steps: number): number {
  const previous = chunkSteps;
  chunkSteps = Math.max(1, Math.floor(steps));
  return previous;
}

/** Decoded value of every float16 and bfloat16 pattern, in SharedArrayBuffers the workers share. */
export function halfTables(): HalfTables {
  if (!tables) {
    const f16 = new Float32Array(new SharedArrayBuffer(65536 * 4));
    const bf16 = new Float32Array(new SharedArrayBuffer(65536 * 4));
    for (let h = 0; h < 65536; h++) {
      f16[h] = fromFloat16Bits(h);
      bf16[h] = fromBFloat16Bits(h);
    }
    tables = { f16, bf16 };
  }
  return tables;
}

export function rowKind(dtype: DType): RowKind {
  return dtype === 'float16' ? 1 : dtype === 'bfloat16' ? 2 : 0;
}

export function view(ref: BufferRef): NumArray {
  return viewOf(ref);
}

/** View of a float32/float64 (or complex) buffer; these are never 16-bit. */
export function realView(ref: BufferRef): RealArray {
  return viewOf(ref) as RealArray;
}

export function optionalRealView(ref: BufferRef | null): RealArray | null {
  return ref ? realView(ref) : null;
}

/** The inputs and sizes every scan kernel reads. */
export function scanJob(args: SelectiveScanInputs & SelectiveScanAttrs): ScanJob {
  return {
    batch: args.batch,
    dim: args.dim,
    seqlen: args.seqlen,
    dstate: args.dstate,
    groups: args.groups,
    isComplex: args.isComplex,
    variableB: args.variableB,
    variableC: args.variableC,
    deltaSoftplus: args.deltaSoftplus,
    ioKind: rowKind(args.u.dtype),
    bKind: rowKind(args.B.dtype),
    cKind: rowKind(args.C.dtype),
    u: view(args.u),
    delta: view(args.delta),
    z: args.z ? view(args.z) : null,
    A: realView(args.A),
    B: view(args.B),
    C: view(args.C),
    D: optionalRealView(args.D),
    deltaBias: optionalRealView(args.deltaBias),
    initialState: optionalRealView(args.initialState),
    tables: halfTables(),
    chunk: Math.min(chunkSteps, args.seqlen),
  };
}
