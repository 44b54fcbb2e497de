/**
 * The selective-scan conformance suite on CUDA, against the CPU backend. Runs only under
 * `pnpm test:gpu` (vitest.gpu.config.ts), never in the default `test`.
 *
 * No silent skip: on a machine where the cuda backend cannot start, the first test fails
 * with the loader's reason — asking for GPU tests where there is no GPU is an error.
 * SSCAN_GPU_STRENGTH=2 gives the quicker pairwise grid (default 3: every triple of values).
 */
import { describe, expect, it } from 'vitest';
import { backendInfo } from '../index';
import { describeSelectiveScanConformance } from './conformance/selectiveScan.suite';

describe('cuda backend', () => {
  it('is usable', () => {
    const cuda = backendInfo().find((b) => b.name === 'cuda');
    expect(cuda?.reason ?? 'usable', 'cuda backend status').toBe('usable');
    expect(cuda?.status).not.toBe('unavailable');
  });
});

describeSelectiveScanConformance('cuda', {
  strength: process.env.SSCAN_GPU_STRENGTH === '2' ? 2 : 3,
  // Bigger than on the CPU: several warps per channel block and more channels per group.
  sizes: (seqlen) => (seqlen > 1024 ? { batch: 2, dim: 16 } : { batch: 3, dim: 24 }),
});
