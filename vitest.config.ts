import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports" map: Node loads its CommonJS build for the libraries,
    // Vite would pick the ESM one for our code, and two copies of graphql cannot mix.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/test-run.ts", "test/support/postgres-availability.ts"],
    setupFiles: ["test/support/stop-children.ts"],
    pool: "forks",
    // Each file starts real servers and databases; two at a time suits a 2-core machine.
    maxWorkers: 2,
    // Deadlines for a loaded machine (another process on a core, a server compiled by tsx at
    // start): tests wait for conditions, so these only bound how long a broken one hangs.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // expect.poll waits for a condition: 1 s (Vitest's default) is a speed assumption.
    expect: { poll: { timeout: 30_000 } },
  },
});
