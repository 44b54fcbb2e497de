/**
 * The native loader on a machine without a usable GPU: importing core never throws, the
 * cuda backend reports why it cannot start (ending with how to fix it), the attempt is
 * kept, and the CPU backend takes over.
 */
import { describe, expect, it } from 'vitest';
import { backendInfo, getBackend } from '../index';
import { loadNativeBackend, nativeLoadAttempts } from '../loader';

const gpuLess = process.env.SSCAN_EXPECT_GPU !== '1';

describe.skipIf(!gpuLess)('loader without a GPU', () => {
  it('explains why cuda cannot start and what to run', () => {
    let message = '';
    try {
      loadNativeBackend('cuda');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^@sscan\/kernels-cuda.+\. To fix: .*`[^`]+`/);
    const last = nativeLoadAttempts().at(-1);
    expect(last).toMatchObject({ type: 'cuda', packageName: '@sscan/kernels-cuda', ok: false });
    expect(message).toContain(last?.reason);
  });

  it('falls back to the CPU backend and records the reason', () => {
    expect(['cpu', 'rocm']).toContain(getBackend());
    const cuda = backendInfo().find((b) => b.name === 'cuda');
    expect(cuda?.status).toBe('unavailable');
    expect(cuda?.reason).toMatch(/To fix:/);
  });
});
