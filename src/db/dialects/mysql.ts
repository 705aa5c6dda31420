/** MySQL and MariaDB (mariadb): the dialect record, URLs, the raw connection, the store's pool. */
import type { Pool } from "mariadb";
import type { Db, Queryable } from "../client.js";
import { driverArgs, type PoolHooks, type PoolOptions } from "../connection.js";
import type { Dialect } from "../providers.js";
import { networkUrlProblem } from "./shared-url.js";

/** errno of conditions that pass (lost connections, lock wait timeout, deadlock, Galera conflicts). */
const TRANSIENT = new Set([1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 45009, 45028]);

/**
 * mariadb connection options from a mysql:// or mariadb:// URL.
 *
 * @example
 * ```ts
 * mysqlConfig("mysql://root@127.0.0.1:3306/test"); // { host: "127.0.0.1", port: 3306, user: "root", password: "", database: "test" }
 * ```
 */
export function mysqlConfig(url: string): { host: string; port: number; user: string; password: string; database: string } {
  const u = new URL(url);
  return {
    host: u.hostname || "localhost",
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")),
  };
}

/**
 * A driver error whose message is the server's own text: the mariadb driver's message also
 * carries the SQL and its parameters (stored content), which must not reach messages and logs.
 * The statement stays on the error as `sql`.
 */
function serverText(error: unknown): unknown {
  const sqlMessage = (error as { sqlMessage?: unknown } | null)?.sqlMessage;
  if (error instanceof Error && typeof sqlMessage === "string" && sqlMessage) error.message = sqlMessage;
  return error;
}

/** Runs a driver call; its error carries the server's text only. */
async function driver<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw serverText(error);
  }
}

/** The store's pool: rows as arrays, JSON as text, prepared statements cached per connection. */
async function openPool(url: string, options: PoolOptions, { onIdleError }: PoolHooks): Promise<Db> {
  const mariadb = await import("mariadb");
  // foundRows (the driver's default, kept explicit): UPDATE reports matched rows, so an update
  // that changes nothing still counts as done. Prepared statements are cached per connection
  // (Prisma's adapter turns the cache off, which costs two extra round trips per query).
  // Result options are the pool's, not each query's: per-query options make the driver copy all
  // of its connection options on every query (measured: ~15% of a get's CPU).
  const pool = mariadb.createPool({
    ...mysqlConfig(url),
    connectionLimit: options.max ?? 10,
    foundRows: true,
    prepareCacheLength: 256,
    rowsAsArray: true,
    autoJsonMap: false, // JSON columns as text: the repository parses them once
    bigIntAsNumber: false,
    dateStrings: true,
  });
  (pool as unknown as NodeJS.EventEmitter).on("error", onIdleError); // emitted, though not in the typings
  const on = (conn: Pick<Pool, "execute">): Queryable => ({
    async queryRaw(q) {
      const rows = await driver(() => conn.execute<unknown>(q.sql, driverArgs(q.args, q.argTypes)));
      return { rows: Array.isArray(rows) ? (rows as unknown[][]) : [] };
    },
    async executeRaw(q) {
      const result = await driver(() => conn.execute<{ affectedRows?: number }>(q.sql, driverArgs(q.args, q.argTypes)));
      return result.affectedRows ?? 0;
    },
  });
  return {
    ...on(pool),
    async transaction(fn) {
      const conn = await driver(() => pool.getConnection());
      try {
        await driver(() => conn.beginTransaction());
        const result = await fn(on(conn));
        await driver(() => conn.commit());
        return result;
      } catch (error) {
        await conn.rollback().catch(() => {});
        throw error;
      } finally {
        await conn.release().catch(() => {});
      }
    },
    dispose: () => pool.end(),
  };
}

/** MySQL's and MariaDB's record (one dialect serves both; jsonKeepsText tells them apart). */
export const mysql: Dialect = {
  provider: "mysql",
  param: () => "?",
  lockRow: " FOR UPDATE",
  lockShared: " LOCK IN SHARE MODE",
  recursionHint: "/*+ SET_VAR(cte_max_recursion_depth = 10000) */ ",
  byteLength: (col) => `LENGTH(${col})`,
  jsonWithout: (col, keys) => `JSON_REMOVE(${col}, ${keys.map((k) => `'$.${k}'`).join(", ")})`,
  json: {
    overlaps: (col, key, values, p) =>
      `COALESCE(${values.map((v) => `JSON_CONTAINS(${col}, JSON_QUOTE(${p(v)}), ${p(`$.${key}`)})`).join(" OR ")}, 0)`,
    present: (col, key, p) => `COALESCE(JSON_LENGTH(${col}, ${p(`$.${key}`)}) > 0, 0)`,
  },
  upsert: "insert-then-update",
  proposed: (column) => `VALUES(${column})`,
  exclusiveWrites: false,
  lookUpByKeyFirst: false,
  jsonKeepsText: (version) => /mariadb/i.test(version),
  readReplicas: false,
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
    busy: () => false,
  },
  timestamp: (d) => d,
  checkUrl: networkUrlProblem,
  async openRawConnection(url) {
    const mariadb = await import("mariadb");
    const conn = await mariadb.createConnection({ ...mysqlConfig(url), multipleStatements: true, timezone: "Z" });
    return {
      exec: async (script) => {
        await conn.query(script);
      },
      query: async <T>(sql: string, params: unknown[] = []) => {
        const rows = (await conn.query(sql, params)) as unknown;
        return (Array.isArray(rows) ? rows : []) as T[];
      },
      close: () => conn.end(),
    };
  },
  openPool,
  transient: (e) => typeof e.errno === "number" && TRANSIENT.has(e.errno),
  uniqueViolation: (e) => e.errno === 1062,
};
