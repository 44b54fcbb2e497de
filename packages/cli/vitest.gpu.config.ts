import { packageTestConfig } from '../../vitest.base';

/** GPU tests only (`pnpm test:gpu`, or on the GPU machine): *.gpu.test.ts. */
export default packageTestConfig('@sscan/cli:gpu', {
  include: ['src/**/*.gpu.test.ts'],
  testTimeout: 600_000,
});
