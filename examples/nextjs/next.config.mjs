import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** @type {import("next").NextConfig} */
export default {
  // The store loads native and driver packages (better-sqlite3, pg, mariadb) and its Prisma
  // migrations from disk: let Node load it as it is instead of bundling it.
  serverExternalPackages: ["openai-responses-store"],
  // This example links the package from the repository root (file:../..).
  turbopack: { root: resolve(here, "../..") },
};
