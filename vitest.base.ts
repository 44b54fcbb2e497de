import { defineConfig } from 'vitest/config';

/**
 * One test recipe for every package: tests live beside the code in src/, and
 * workspace packages resolve to their TypeScript sources through the
 * `@sscan/source` export condition, so tests never need a build.
 */
export function packageTestConfig(name: string, extra: { include?: string[]; testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions: ['@sscan/source', 'import', 'node', 'default'] },
    ssr: { resolve: { conditions: ['@sscan/source', 'import', 'node', 'default'] } },
    test: {
      name,
      include: extra.include ?? ['src/**/*.test.ts'],
      environment: 'node',
      testTimeout: extra.testTimeout ?? 60_000,
      pool: 'forks',
    },
  });
}
