import { packageTestConfig } from '../../vitest.base';

/** GPU tests only (`pnpm test:gpu`, or tools/device/run.sh on the GPU machine): *.gpu.test.ts. */
export default packageTestConfig('@sscan/kernels-cuda:gpu', {
  include: ['src/**/*.gpu.test.ts'],
  testTimeout: 120_000,
});
