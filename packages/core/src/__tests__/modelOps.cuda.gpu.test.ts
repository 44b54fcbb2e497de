/**
 * The model-op conformance suite on CUDA against the CPU backend: every model op's native
 * kernel (csrc/ops/, matmul through cuBLAS when it loads). Runs only under `pnpm test:gpu`
 * (vitest.gpu.config.ts). No silent skip: without a usable cuda backend the first test fails
 * with the loader's reason. SSCAN_CUBLAS_LIBRARY=none runs matmul on our tiled kernel instead.
 */
import { describe, expect, it } from 'vitest';
import { backendInfo } from '../index';
import { getBackendByName } from '../registry';
import { describeModelOpConformance } from './conformance/modelOps.suite';

describe('cuda backend', () => {
  it('is usable, and says which matmul it runs', () => {
    const cuda = backendInfo().find((b) => b.name === 'cuda');
    expect(cuda?.reason ?? 'usable', 'cuda backend status').toBe('usable');
    const matmul = getBackendByName('cuda').describe().devices[0]?.details?.matmul;
    console.log(`[model ops] cuda matmul: ${matmul}`);
    expect(typeof matmul).toBe('string');
    if (process.env.SSCAN_CUBLAS_LIBRARY === 'none') expect(matmul).toMatch(/sscan tiled kernel/);
  });
});

describeModelOpConformance('cuda');
