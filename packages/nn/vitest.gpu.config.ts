import { packageTestConfig } from '../../vitest.base';

/** GPU tests only (`pnpm test:gpu`): files named *.gpu.test.ts. */
export default packageTestConfig('@sscan/nn:gpu', {
  include: ['src/**/*.gpu.test.ts'],
  testTimeout: 600_000,
});
