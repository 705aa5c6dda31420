// Prisma CLI configuration, for machines where Prisma's native engine is installed:
// `npx prisma migrate deploy` / `migrate status` / `studio` then work on DATABASE_URL with the
// schema and migrations of its provider (PRISMA_PROVIDER overrides the guess from the URL).
// The store applies the same migrations itself on initialize(); both record them in
// _prisma_migrations the same way, so neither re-applies the other's work.
import { defineConfig } from "prisma/config";

const url = process.env.DATABASE_URL || "file:./responses.db";
const scheme = url.split(":")[0]!.toLowerCase();
const provider = process.env.PRISMA_PROVIDER ?? (scheme === "file" ? "sqlite" : scheme.startsWith("postgres") ? "postgresql" : "mysql");

export default defineConfig({
  schema: `prisma/${provider}/schema.prisma`,
  migrations: { path: `prisma/${provider}/migrations` },
  datasource: { url },
});
