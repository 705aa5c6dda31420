import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Test database URLs may come from a local .env (see .env.example); the environment wins.
if (existsSync(".env")) process.loadEnvFile(".env");

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/announce-providers.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
