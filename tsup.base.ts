import { defineConfig, type Options } from 'tsup';

/** One build recipe for every TS package: ESM + CJS + .d.ts from src/index.ts. */
export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    // The CJS build gets import.meta.url from tsup's shim: the loader's createRequire needs it.
    shims: true,
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    ...overrides,
  });
}
