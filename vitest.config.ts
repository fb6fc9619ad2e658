import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Plugins import the SDK by its package export. Under vitest it must be the TypeScript
    // source, the same module instances the kernel under test uses (a dist/ copy would make a
    // second SextantError class, and `instanceof` would fail across the two).
    alias: [{ find: /^sextant\/plugin-sdk$/, replacement: fileURLToPath(new URL('./src/plugin-sdk/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
