/**
 * The providers the tests run on (SQLite always; PostgreSQL and MySQL/MariaDB when
 * TEST_POSTGRES_URL / TEST_MYSQL_URL are set) and a fresh, empty database for each test.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mariadb from "mariadb";
import pg from "pg";
import { mysqlConfig, type ProviderName } from "../../src/db/providers.js";

export interface TestProvider {
  name: ProviderName;
  label: string;
  /** Server URL the fresh databases are created next to (undefined for SQLite). */
  serverUrl?: string;
}

export const ALL: (TestProvider & { env?: string })[] = [
  { name: "sqlite", label: "SQLite" },
  { name: "postgresql", label: "PostgreSQL", env: "TEST_POSTGRES_URL" },
  { name: "mysql", label: "MySQL/MariaDB", env: "TEST_MYSQL_URL" },
];

/** Providers enabled by the environment. */
export const PROVIDERS: TestProvider[] = ALL.filter((p) => !p.env || process.env[p.env]).map((p) => ({
  name: p.name,
  label: p.label,
  serverUrl: p.env ? process.env[p.env] : undefined,
}));

/** Providers skipped, with the variable that would enable each. */
export const SKIPPED = ALL.filter((p) => p.env && !process.env[p.env]).map((p) => `${p.label} (set ${p.env})`);

/** A database that exists only for one test. */
export interface FreshDatabase {
  url: string;
  provider: ProviderName;
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty database (a temp file, or CREATE DATABASE on the server). */
export async function freshDatabase(provider: TestProvider): Promise<FreshDatabase> {
  const name = `ors_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  switch (provider.name) {
    case "sqlite": {
      const dir = mkdtempSync(join(tmpdir(), "ors-"));
      return { provider: "sqlite", url: `file:${join(dir, "test.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    }
    case "postgresql": {
      const admin = new pg.Client({ connectionString: provider.serverUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return {
        provider: "postgresql",
        url: withDatabase(provider.serverUrl!, name),
        drop: async () => {
          const c = new pg.Client({ connectionString: provider.serverUrl });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    }
    case "mysql": {
      const run = async (sql: string) => {
        const c = await mariadb.createConnection(mysqlConfig(provider.serverUrl!));
        try {
          await c.query(sql);
        } finally {
          await c.end();
        }
      };
      await run(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      return { provider: "mysql", url: withDatabase(provider.serverUrl!, name), drop: () => run(`DROP DATABASE IF EXISTS ${name}`) };
    }
  }
}

/** The tables the store's migrations make, with Prisma's history, by name. */
export const STORE_TABLES = [
  "_prisma_migrations",
  "conversation_items",
  "conversation_messages",
  "conversation_operations",
  "conversations",
  "openai_responses",
  "response_events",
  "store_leases",
] as const;
