/**
 * The model-op conformance suite through NativeBackend on CI (no GPU): device 'cuda' is served
 * by NativeBackend over the fake addon, whose `modelOp` unpacks the typed arrays exactly as
 * csrc/addon/model_ops.cpp reads them and runs the CPU kernels on the unpacked views. So this
 * checks everything of the GPU path but the kernels: merging axes, views, offsets, slot
 * names, enum codes, optional slots, and that nothing falls back to the host. The kernels
 * themselves: dev/emu/ops_emu.cpp (CPU emulator) and modelOps.cuda.gpu.test.ts (GPU).
 */
import { CpuBackend } from '../cpu/CpuBackend';
import { FakeAddon } from '../native/__tests__/fake_addon';
import { NativeBackend } from '../native/NativeBackend';
import { BACKEND_PRIORITY } from '../register_backends';
import { registerBackend, setBackend } from '../registry';
import { describeModelOpConformance } from './conformance/modelOps.suite';

registerBackend(
  'cuda',
  () => new NativeBackend(new FakeAddon(), 'cuda', { hostFallback: new CpuBackend() }),
  BACKEND_PRIORITY.cuda,
);
setBackend('cpu');

describeModelOpConformance('cuda', { large: false });
