import { packageTestConfig } from '../../vitest.base';

// GPU tests (src/__tests__/gpu/*.gpu.ts) use node:test and run through `pnpm test:gpu`
// (or tools/device on the GPU machine); this config only picks up the GPU-less *.test.ts.
export default packageTestConfig('@sscan/kernels-cuda');
