/**
 * Everything that differs between SQLite, PostgreSQL and MySQL/MariaDB, kept as data in one
 * record per provider: how a URL is recognised, how a raw connection is opened for migrations,
 * placeholders, locks, the `_prisma_migrations` DDL, timestamps and error classification.
 */
import { isAbsolute, resolve } from "node:path";
import { ConfigurationError } from "../errors.js";

/** The database families the store runs on. */
export type ProviderName = "sqlite" | "postgresql" | "mysql";

/** One raw connection, used by the migration runner (outside Prisma, like `prisma migrate`). */
export interface RawConnection {
  /** Runs a script of one or more statements. */
  exec(script: string): Promise<void>;
  /** Runs one parameterised statement and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The per-provider facts the rest of the code asks for instead of testing the provider. */
export interface Dialect {
  readonly provider: ProviderName;
  /**
   * The placeholder for the i-th (1-based) parameter of `type`. PostgreSQL casts JSON and
   * bigint parameters: clients that type parameters by their JS value (PrismaClient's raw
   * queries send strings as text) would otherwise be refused for json and bigint columns.
   */
  param(i: number, type?: string): string;
  /** `_prisma_migrations` exactly as Prisma's schema engine creates it (IF NOT EXISTS added). */
  readonly migrationsTableDdl: string;
  /**
   * The migration lock: Prisma's own, so our runner and `prisma migrate deploy` exclude each
   * other. `acquire` takes it (opening the transaction it lives in where `transactional`);
   * `release` ends it after success, `abort` after a failure. A transactional lock is the
   * transaction's own: it cannot outlive it, even when the connection goes through a pooler
   * that hands the server connection to someone else afterwards.
   */
  readonly migrationLock: { acquire: readonly string[]; release: string; abort: string; transactional: boolean };
  /**
   * PostgreSQL's `?schema=`: the schema a URL names (undefined when it names none), SQL that
   * creates it, SQL that makes it where unqualified names resolve for the current transaction,
   * and a table name qualified with it.
   */
  readonly schema?: {
    of(url: string): string | undefined;
    create(schema: string): string;
    use(schema: string): string;
    qualify(schema: string, table: string): string;
  };
  /**
   * How a guarded upsert is written: one `INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE ...
   * RETURNING id` statement whose returned ids say which writes happened, or (MySQL, whose
   * `ON DUPLICATE KEY UPDATE` cannot report a refused update) a plain INSERT, then on a
   * duplicate id, in a transaction, a locking SELECT of which rows may be updated and an upsert
   * of those.
   */
  readonly upsert: "on-conflict-where" | "insert-then-update";
  /** What ends a SELECT that locks the row it reads until the transaction ends ("" on SQLite, whose write transactions are exclusive). */
  readonly lockRow: string;
  /**
   * Whether a write transaction holds the whole database (SQLite): then a write of several
   * statements runs as one transaction, so concurrent calls cannot interleave with it, at
   * little cost.
   */
  readonly exclusiveWrites: boolean;
  /**
   * Whether a read of one row by id under other conditions (its owner's) must find the row by
   * its primary key first and check the rest on it: PostgreSQL's planner, without statistics
   * (a new table), may pick a composite owner index that holds the id column too and walk all
   * of that owner's rows (measured: 3x slower gets). Elsewhere that fence costs (MariaDB
   * materialises the derived table).
   */
  readonly fenceKeyLookups: boolean;
  /**
   * Whether a JSON column reads back the text that was stored (SQLite, PostgreSQL's json,
   * MariaDB's JSON, a checked LONGTEXT), by the server's `SELECT VERSION()`. MySQL 8 keeps JSON
   * binary and returns objects with their keys reordered: there the digests that compare a
   * turn's history with its parent's are taken over JSON with sorted keys, so that stored and
   * given items agree.
   */
  jsonKeepsText(serverVersion: string): boolean;
  /** What ends a SELECT that keeps the rows it reads from being changed or deleted until the transaction ends (others may read them). */
  readonly lockShared: string;
  /**
   * Written right after the SELECT keyword of a statement with a recursive CTE: MySQL 8 stops
   * recursion after 1000 rounds unless told otherwise (MariaDB takes it as a comment).
   */
  readonly recursionHint: string;
  /**
   * JSON containment on the owner-attributes column (a JSON object of string arrays), as SQL
   * that is never NULL. `param` binds a value and returns its placeholder; attribute keys are
   * identifiers (checked by the policy parser) and are bound as values too.
   */
  readonly json: {
    /** True when the array at `key` holds one of `values`. */
    overlaps(column: string, key: string, values: readonly string[], param: (v: string) => string): string;
    /** True when the array at `key` is present and not empty. */
    present(column: string, key: string, param: (v: string) => string): string;
  };
  /** SQL for the stored size, in bytes, of a JSON column's value. */
  byteLength(column: string): string;
  /**
   * SQL for a JSON object column's value without the given top-level keys (literals of ours),
   * or, where a value cannot be rewritten exactly, the value whole: callers drop the keys too.
   */
  jsonWithout(column: string, keys: readonly string[]): string;
  /** A timestamp value for `_prisma_migrations` as the engine writes it. */
  timestamp(date: Date): unknown;
  openRawConnection(url: string): Promise<RawConnection>;
}

/** Milliseconds a SQLite connection waits for another writer before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Most page cache, in KiB, of the store's SQLite connection (SQLite's default is 2 MiB; pages
 * are cached as they are read, up to this). With kilobyte-sized responses one row fills a page,
 * so a user paging through 2,000 responses touches ~8 MiB: at 1M rows the default cache
 * re-read them from the file on every pass (bench/list-at-scale.ts: 1.41x the 10k-row time;
 * 1.14x with this).
 */
export const SQLITE_CACHE_KIB = 65_536;

const sqlite: Dialect = {
  provider: "sqlite",
  param: () => "?",
  migrationsTableDdl: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  // SQLite has no advisory lock: a write transaction held for the whole run serialises runners.
  migrationLock: { acquire: ["BEGIN IMMEDIATE"], release: "COMMIT", abort: "ROLLBACK", transactional: true },
  upsert: "on-conflict-where",
  lockRow: "",
  lockShared: "",
  exclusiveWrites: true,
  fenceKeyLookups: false,
  jsonKeepsText: () => true,
  recursionHint: "",
  byteLength: (col) => `length(CAST(${col} AS BLOB))`,
  jsonWithout: (col, keys) => `json_remove(${col}, ${keys.map((k) => `'$.${k}'`).join(", ")})`,
  json: {
    overlaps: (col, key, values, p) =>
      `EXISTS (SELECT 1 FROM json_each(${col}, ${p(`$.${key}`)}) AS e WHERE e.value IN (${values.map(p).join(", ")}))`,
    present: (col, key, p) => `COALESCE(json_array_length(${col}, ${p(`$.${key}`)}) > 0, 0)`,
  },
  timestamp: (d) => d.toISOString().replace("Z", "+00:00"),
  async openRawConnection(url) {
    const { default: Database } = await import("better-sqlite3");
    // No busy wait: better-sqlite3 is synchronous, so waiting inside SQLite would freeze the
    // thread while another connection of this same process holds the lock. SQLITE_BUSY comes
    // back at once and the runner retries asynchronously.
    const db = new Database(sqlitePath(url), { timeout: 0 });
    await enableWal(db);
    return {
      exec: async (script) => void db.exec(script),
      query: async <T>(sql: string, params: unknown[] = []) => {
        const stmt = db.prepare(sql);
        return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
      },
      close: async () => void db.close(),
    };
  },
};

/**
 * Puts a SQLite file in WAL mode (persistent, so concurrent readers and a writer do not block
 * each other). Switching needs the file to itself: while another connection has it open the
 * switch answers SQLITE_BUSY at once (no busy handler), so it is retried for a while and
 * otherwise left for a later start; the busy timeout still serialises writers meanwhile.
 */
async function enableWal(db: { pragma(sql: string, options?: { simple: boolean }): unknown }): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      if (String(db.pragma("journal_mode", { simple: true })).toLowerCase() === "wal") return;
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      await sleep(25 + Math.random() * 75);
    }
  }
}

/** True for SQLite's "database is locked" family of errors. */
export function isSqliteBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown } | null)?.code ?? ""));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const postgresql: Dialect = {
  provider: "postgresql",
  param: (i, type) => `$${i}${type === "json" ? "::json" : type === "bigint" ? "::bigint" : ""}`,
  migrationsTableDdl: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
  // Prisma's key, as a transaction-level lock: it conflicts with the session-level lock
  // `prisma migrate deploy` takes on the same key, and is released by COMMIT or ROLLBACK.
  migrationLock: { acquire: ["BEGIN", "SELECT pg_advisory_xact_lock(72707369)"], release: "COMMIT", abort: "ROLLBACK", transactional: true },
  schema: {
    of: (url) => pgConnection(url).schema,
    create: (schema) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`,
    use: (schema) => `SET LOCAL search_path TO ${quoteIdent(schema)}`,
    qualify: (schema, table) => `${quoteIdent(schema)}.${table}`,
  },
  upsert: "on-conflict-where",
  lockRow: " FOR UPDATE",
  lockShared: " FOR SHARE",
  exclusiveWrites: false,
  fenceKeyLookups: true,
  jsonKeepsText: () => true,
  recursionHint: "",
  byteLength: (col) => `octet_length(${col}::text)`,
  // json (not jsonb) has no key removal, and jsonb refuses \u0000: through jsonb unless the text
  // holds that escape, in which case the value is sent whole (the store drops the keys itself).
  jsonWithout: (col, keys) =>
    `CASE WHEN strpos(${col}::text, '\\u0000') > 0 THEN ${col} ELSE (${col}::jsonb ${keys.map((k) => `- '${k}'`).join(" ")})::json END`,
  json: {
    overlaps: (col, key, values, p) =>
      `COALESCE((${col} -> ${p(key)}::text) ?| ARRAY[${values.map((v) => `${p(v)}::text`).join(", ")}], FALSE)`,
    present: (col, key, p) => `COALESCE((${col} -> ${p(key)}::text) <> '[]'::jsonb, FALSE)`,
  },
  timestamp: (d) => d,
  async openRawConnection(url) {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: pgConnection(url).connectionString });
    await client.connect();
    return {
      exec: async (script) => void (await client.query(script)),
      query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
      close: () => client.end(),
    };
  },
};

const mysql: Dialect = {
  provider: "mysql",
  param: () => "?",
  migrationsTableDdl: `CREATE TABLE IF NOT EXISTS \`_prisma_migrations\` (
    \`id\`                    VARCHAR(36) PRIMARY KEY NOT NULL,
    \`checksum\`              VARCHAR(64) NOT NULL,
    \`finished_at\`           DATETIME(3),
    \`migration_name\`        VARCHAR(255) NOT NULL,
    \`logs\`                  TEXT,
    \`rolled_back_at\`        DATETIME(3),
    \`started_at\`            DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    \`applied_steps_count\`   INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  // GET_LOCK waits up to 10 s, as Prisma does; the runner retries until its own deadline.
  migrationLock: {
    acquire: ["SELECT GET_LOCK('prisma_migrate', 10) AS locked"],
    release: "SELECT RELEASE_LOCK('prisma_migrate')",
    abort: "SELECT RELEASE_LOCK('prisma_migrate')",
    transactional: false,
  },
  upsert: "insert-then-update",
  lockRow: " FOR UPDATE",
  lockShared: " LOCK IN SHARE MODE",
  exclusiveWrites: false,
  fenceKeyLookups: false,
  jsonKeepsText: (version) => /mariadb/i.test(version), // the dialect serves both
  recursionHint: "/*+ SET_VAR(cte_max_recursion_depth = 10000) */ ",
  byteLength: (col) => `LENGTH(${col})`,
  jsonWithout: (col, keys) => `JSON_REMOVE(${col}, ${keys.map((k) => `'$.${k}'`).join(", ")})`,
  json: {
    overlaps: (col, key, values, p) =>
      `COALESCE(${values.map((v) => `JSON_CONTAINS(${col}, JSON_QUOTE(${p(v)}), ${p(`$.${key}`)})`).join(" OR ")}, 0)`,
    present: (col, key, p) => `COALESCE(JSON_LENGTH(${col}, ${p(`$.${key}`)}) > 0, 0)`,
  },
  timestamp: (d) => d,
  async openRawConnection(url) {
    const mariadb = await import("mariadb");
    const conn = await mariadb.createConnection({
      ...mysqlConfig(url),
      multipleStatements: true,
      timezone: "Z",
    });
    return {
      exec: async (script) => void (await conn.query(script)),
      query: async <T>(sql: string, params: unknown[] = []) => {
        const rows = (await conn.query(sql, params)) as unknown;
        return (Array.isArray(rows) ? rows : []) as T[];
      },
      close: () => conn.end(),
    };
  },
};

const DIALECTS: Record<ProviderName, Dialect> = { sqlite, postgresql, mysql };

/** The dialect record of a provider. */
export function dialectFor(provider: ProviderName): Dialect {
  return DIALECTS[provider];
}

/** The default database: `DATABASE_URL`, else an embedded SQLite file in the working directory. */
export function defaultUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL || "file:./responses.db";
}

/**
 * The provider a URL names, by its scheme: `file:` (SQLite), `postgres:`/`postgresql:`,
 * `mysql:`/`mariadb:`.
 *
 * @throws ConfigurationError for any other scheme.
 */
export function providerFromUrl(url: string): ProviderName {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "file":
      return "sqlite";
    case "postgres":
    case "postgresql":
      return "postgresql";
    case "mysql":
    case "mariadb":
      return "mysql";
    default:
      throw new ConfigurationError(
        "url",
        `Unsupported database URL ${redactUrl(url)}: use file:<path> (SQLite), postgresql://... or mysql://... (also mariadb://)`,
      );
  }
}

/** The filesystem path of a `file:` URL, resolved against the working directory. */
export function sqlitePath(url: string): string {
  let path = url.replace(/^file:/i, "");
  if (path.startsWith("//")) path = decodeURIComponent(new URL(url).pathname);
  path = path.split("?")[0]!;
  if (!path) throw new ConfigurationError("url", `SQLite URL ${url} names no file`);
  // (The annotation stops bundlers such as Next.js Turbopack from tracing the whole project.)
  return isAbsolute(path) ? path : resolve(/* turbopackIgnore: true */ process.cwd(), path);
}

/** A PostgreSQL identifier, quoted. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * What a postgresql:// URL says beyond what pg reads, taken out before pg sees it, as Prisma
 * spells it: `schema` (where the tables live; default: the server's search_path) and
 * `pgbouncer=true` (a transaction-mode pooler: no server-side prepared statements).
 */
export function pgConnection(url: string): { connectionString: string; prepared: boolean; schema: string | undefined } {
  const u = new URL(url);
  const pgbouncer = u.searchParams.get("pgbouncer");
  const schema = u.searchParams.get("schema") || undefined;
  if (pgbouncer === null && !u.searchParams.has("schema")) return { connectionString: url, prepared: true, schema };
  u.searchParams.delete("pgbouncer");
  u.searchParams.delete("schema");
  return { connectionString: u.toString(), prepared: pgbouncer !== "true", schema };
}

/** mariadb connection options from a mysql:// or mariadb:// URL. */
export function mysqlConfig(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname || "localhost",
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")),
  };
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@");
}
