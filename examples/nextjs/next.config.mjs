/** @type {import("next").NextConfig} */
export default {
  // The store loads native and driver packages (better-sqlite3, pg, mariadb) and its Prisma
  // migrations from disk: let Node load it as it is instead of bundling it.
  serverExternalPackages: ["openai-responses-store"],
};
