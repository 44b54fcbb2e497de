/**
 * The backend registry: priority order, SSCAN_BACKEND, setBackend of a backend that cannot
 * start, and backendInfo's reasons. This machine has no GPU, so the real cuda and rocm
 * backends must report why they are unavailable; stand-in backends (the CPU backend under
 * another name) exercise the ordering.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../backend';
import { CpuBackend } from '../cpu/CpuBackend';
import { backendInfo, getBackend, listBackends, setBackend, tensor } from '../index';
import { loadNativeBackend } from '../loader';
import { BACKEND_PRIORITY } from '../register_backends';
import { registerBackend, resetBackendsForTesting } from '../registry';

function standIn(type: 'cuda' | 'rocm'): Backend {
  const b = new CpuBackend();
  Object.defineProperty(b, 'type', { value: type });
  return b;
}

function restoreDefaults(): void {
  registerBackend('cuda', () => loadNativeBackend('cuda'), BACKEND_PRIORITY.cuda);
  registerBackend('rocm', () => loadNativeBackend('rocm'), BACKEND_PRIORITY.rocm);
  registerBackend('cpu', () => new CpuBackend(), BACKEND_PRIORITY.cpu);
  resetBackendsForTesting();
}

const savedEnv = process.env.SSCAN_BACKEND;
beforeEach(() => {
  delete process.env.SSCAN_BACKEND;
  restoreDefaults();
});
afterEach(() => {
  if (savedEnv === undefined) delete process.env.SSCAN_BACKEND;
  else process.env.SSCAN_BACKEND = savedEnv;
  restoreDefaults();
});

describe('on this machine (no GPU)', () => {
  it('lists backends by priority: cuda, rocm, cpu', () => {
    expect(BACKEND_PRIORITY.cuda).toBeGreaterThan(BACKEND_PRIORITY.rocm);
    expect(BACKEND_PRIORITY.rocm).toBeGreaterThan(BACKEND_PRIORITY.cpu);
    expect(listBackends()).toEqual(['cuda', 'rocm', 'cpu']);
  });

  it('falls through to the CPU backend, and new tensors go there', () => {
    expect(getBackend()).toBe('cpu');
    expect(tensor([1, 2], [2]).deviceName).toBe('cpu');
  });

  it('backendInfo says why cuda and rocm are unavailable, with a fix', () => {
    const info = backendInfo();
    expect(info.map((b) => b.name)).toEqual(['cuda', 'rocm', 'cpu']);
    const [cuda, rocm, cpu] = info;
    expect(cuda.status).toBe('unavailable');
    expect(cuda.reason).toMatch(/@sscan\/kernels-cuda/);
    expect(cuda.reason).toMatch(/To fix: ./);
    expect(rocm.status).toBe('unavailable');
    expect(rocm.reason).toMatch(/@sscan\/kernels-rocm/);
    expect(rocm.reason).toMatch(/To fix: ./);
    expect(cpu).toEqual({ name: 'cpu', priority: BACKEND_PRIORITY.cpu, status: 'active' });
  });

  it('setBackend of an unusable backend throws with the reason, and leaves the default alone', () => {
    const reason = backendInfo().find((b) => b.name === 'cuda')!.reason!;
    expect(() => setBackend('cuda')).toThrow(`setBackend: backend 'cuda' is not usable: ${reason}`);
    expect(getBackend()).toBe('cpu');
    expect(() => setBackend('tpu' as never)).toThrow(RangeError);
    expect(() => setBackend('tpu' as never)).toThrow(
      "setBackend: argument 'backend' must be a registered backend (cuda, rocm, cpu), got 'tpu'",
    );
  });

  it('SSCAN_BACKEND=cpu picks the CPU backend', () => {
    process.env.SSCAN_BACKEND = 'cpu';
    resetBackendsForTesting();
    expect(getBackend()).toBe('cpu');
  });

  it('SSCAN_BACKEND naming an unusable backend is an error with the reason, never a silent fallback', () => {
    process.env.SSCAN_BACKEND = 'cuda';
    resetBackendsForTesting();
    expect(() => getBackend()).toThrow(/^SSCAN_BACKEND: backend 'cuda' is not usable: @sscan\/kernels-cuda/);
    expect(() => tensor([1], [1])).toThrow(/backend 'cuda' is not usable/);
    // An explicit device still works.
    expect(tensor([1], [1], { device: 'cpu' }).deviceName).toBe('cpu');
  });

  it('SSCAN_BACKEND naming no backend is a RangeError listing the known ones', () => {
    process.env.SSCAN_BACKEND = 'metal';
    resetBackendsForTesting();
    expect(() => getBackend()).toThrow(RangeError);
    expect(() => getBackend()).toThrow("must be one of cuda, rocm, cpu, got 'metal'");
  });
});

describe('priority order with stand-in backends', () => {
  it('the highest-priority backend that starts is the default', () => {
    registerBackend('rocm', () => standIn('rocm'), BACKEND_PRIORITY.rocm);
    resetBackendsForTesting();
    expect(getBackend()).toBe('rocm'); // cuda fails, rocm is next
    registerBackend('cuda', () => standIn('cuda'), BACKEND_PRIORITY.cuda);
    resetBackendsForTesting();
    expect(getBackend()).toBe('cuda');
    // Priorities, not registration order, decide.
    registerBackend('cpu', () => new CpuBackend(), 10);
    resetBackendsForTesting();
    expect(listBackends()).toEqual(['cpu', 'cuda', 'rocm']);
    expect(getBackend()).toBe('cpu');
  });

  it('a failing factory is skipped, tried once, and its message kept as the reason', () => {
    let calls = 0;
    registerBackend(
      'cuda',
      () => {
        calls++;
        throw new Error('driver too old (found 470, need 580)');
      },
      100,
    );
    resetBackendsForTesting();
    expect(getBackend()).toBe('cpu');
    expect(backendInfo()[0]).toEqual({
      name: 'cuda',
      priority: 100,
      status: 'unavailable',
      reason: 'driver too old (found 470, need 580)',
    });
    expect(() => setBackend('cuda')).toThrow(
      "setBackend: backend 'cuda' is not usable: driver too old (found 470, need 580)",
    );
    expect(calls).toBe(1);
  });

  it('a started backend is started once and reported available', () => {
    let calls = 0;
    registerBackend(
      'rocm',
      () => {
        calls++;
        return standIn('rocm');
      },
      BACKEND_PRIORITY.rocm,
    );
    resetBackendsForTesting();
    setBackend('cpu');
    expect(backendInfo().find((b) => b.name === 'rocm')?.status).toBe('available');
    setBackend('rocm');
    expect(getBackend()).toBe('rocm');
    expect(tensor([1, 2], [2]).deviceName).toBe('rocm:0');
    expect(backendInfo().find((b) => b.name === 'rocm')?.status).toBe('active');
    expect(calls).toBe(1);
  });

  it("a device index past the backend's devices is a RangeError naming the count", () => {
    registerBackend('cuda', () => standIn('cuda'), BACKEND_PRIORITY.cuda);
    resetBackendsForTesting();
    expect(tensor([1], [1], { device: 'cuda:0' }).deviceName).toBe('cuda:0');
    expect(() => tensor([1], [1], { device: 'cuda:1' })).toThrow(RangeError);
    expect(() => tensor([1], [1], { device: 'cuda:1' })).toThrow(
      "tensor: argument 'device' must be a device index below 1 (cuda has 1 device), got 'cuda:1'",
    );
    expect(() => tensor([1], [1], { device: 'cpu' }).to('cuda:1')).toThrow(
      "Tensor.to: argument 'device' must be a device index below 1",
    );
  });

  it('registerBackend refuses an unknown backend name', () => {
    expect(() => registerBackend('tpu' as never, () => new CpuBackend(), 1)).toThrow(RangeError);
    expect(() => registerBackend('tpu' as never, () => new CpuBackend(), 1)).toThrow(
      "registerBackend: argument 'name' must be one of cpu, cuda, rocm, got 'tpu'",
    );
  });
});
