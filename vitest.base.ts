import { configDefaults, defineConfig } from 'vitest/config';

/**
 * One test recipe for every package: tests live beside the code in src/, and
 * workspace packages resolve to their TypeScript sources through the
 * `@sscan/source` export condition, so tests never need a build.
 *
 * GPU tests (`*.gpu.test.ts`) never run in the default `test` target: they need a GPU and
 * run under `test:gpu`, whose config passes `include` for them alone.
 */
export function packageTestConfig(
  name: string,
  extra: { include?: string[]; exclude?: string[]; testTimeout?: number } = {},
) {
  return defineConfig({
    resolve: { conditions: ['@sscan/source', 'import', 'node', 'default'] },
    ssr: { resolve: { conditions: ['@sscan/source', 'import', 'node', 'default'] } },
    test: {
      name,
      include: extra.include ?? ['src/**/*.test.ts'],
      exclude: [
        ...configDefaults.exclude,
        ...(extra.exclude ?? (extra.include ? [] : ['src/**/*.gpu.test.ts'])),
      ],
      environment: 'node',
      testTimeout: extra.testTimeout ?? 60_000,
      pool: 'forks',
    },
  });
}
