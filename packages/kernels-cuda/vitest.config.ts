import { packageTestConfig } from '../../vitest.base';

// GPU tests (src/__tests__/*.gpu.test.ts) run through `pnpm test:gpu` (vitest.gpu.config.ts,
// or tools/device on the GPU machine); this config picks up only the GPU-less *.test.ts.
export default packageTestConfig('@sscan/kernels-cuda');
