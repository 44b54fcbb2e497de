/**
 * The backends sscan knows, by priority: a usable GPU first, the TypeScript CPU backend
 * always last as the fallback that every machine can run.
 */
import { CpuBackend } from './cpu/CpuBackend';
import { loadNativeBackend } from './loader';
import { registerBackend } from './registry';

export const BACKEND_PRIORITY = { cuda: 3, rocm: 2, cpu: 1 } as const;

registerBackend('cuda', () => loadNativeBackend('cuda'), BACKEND_PRIORITY.cuda);
registerBackend('rocm', () => loadNativeBackend('rocm'), BACKEND_PRIORITY.rocm);
registerBackend('cpu', () => new CpuBackend(), BACKEND_PRIORITY.cpu);
