/** MySQL and MariaDB (mariadb): the dialect record, URLs, the raw connection, the store's pool. */
import type { PoolConnection } from "mariadb";
import type { Db, Queryable } from "../client.js";
import { DEFAULT_ATTEMPT_MS, driverArgs, type PoolHooks, type PoolOptions } from "../connection.js";
import { timeLeft, usingWithin, type CallBounds } from "../deadline.js";
import type { Dialect } from "../providers.js";
import { certainlyChanged, GaleraCommits } from "./galera-commits.js";
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

/** Whole seconds of a lock wait, as the servers take them (MySQL's least is 1). */
const lockSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The store's pool: rows as arrays, JSON as text, prepared statements cached per connection.
 * Every attempt (a connection and its statements) is bounded by its call's deadline (`within`)
 * and by `timeoutMs`, and so are the server's own lock waits (row locks, and metadata
 * locks such as LOCK TABLES). A statement still running at the deadline is killed on the server
 * (the driver's destroy) and its connection dropped.
 */
async function openPool(url: string, options: PoolOptions, { onIdleError }: PoolHooks): Promise<Db> {
  const mariadb = await import("mariadb");
  const bound = options.timeoutMs ?? DEFAULT_ATTEMPT_MS;
  const sessionLockWait = lockSeconds(bound);
  // On a Galera node, reads wait until the node has applied what the cluster committed before
  // them (wsrep_sync_wait): what one instance wrote on one node, another reads on any node.
  const probe = await mariadb.createConnection({ ...mysqlConfig(url), connectTimeout: Math.min(bound, 10_000) });
  let galera: boolean;
  try {
    const rows = await probe.query<{ Value?: unknown }[]>("SHOW VARIABLES LIKE 'wsrep_on'");
    galera = rows[0]?.Value === "ON";
  } finally {
    await probe.end().catch(() => {});
  }
  // foundRows (the driver's default, kept explicit): UPDATE reports matched rows, so an update
  // that changes nothing still counts as done. Prepared statements are cached per connection
  // (Prisma's adapter turns the cache off, which costs two extra round trips per query).
  // Result options are the pool's, not each query's: per-query options make the driver copy all
  // of its connection options on every query (measured: ~15% of a get's CPU).
  // Pipelining is off: its pipelined prepare-and-execute crashed the process from inside the
  // driver's socket handler under Galera's multi-primary writes (bench/mariadb-pipelining.ts
  // measures what it would gain: nothing).
  const pool = mariadb.createPool({
    ...mysqlConfig(url),
    connectionLimit: options.max ?? 10,
    acquireTimeout: bound,
    connectTimeout: Math.min(bound, 10_000),
    keepAliveDelay: 10_000,
    initSql: `SET SESSION innodb_lock_wait_timeout = ${sessionLockWait}, lock_wait_timeout = ${sessionLockWait}${galera ? ", wsrep_sync_wait = 1" : ""}`,
    pipelining: false,
    foundRows: true,
    prepareCacheLength: 256,
    rowsAsArray: true,
    autoJsonMap: false, // JSON columns as text: the repository parses them once
    bigIntAsNumber: false,
    dateStrings: true,
  });
  (pool as unknown as NodeJS.EventEmitter).on("error", onIdleError); // emitted, though not in the typings
  /** Connections whose statement was cut off: destroyed, never released. */
  const cut = new WeakSet<PoolConnection>();
  /** Each connection's row-lock wait, where a transaction changed it from the session's. */
  const lockWaits = new WeakMap<PoolConnection, number>();
  const cutOff = (conn: PoolConnection) => {
    cut.add(conn);
    conn.destroy();
  };
  /** On a Galera node: each COMMIT that certainly changed rows checked against the write set it replicated. */
  const commits = galera ? new GaleraCommits() : undefined;
  /** The connection's statements; `tx` (in a transaction) learns whether one certainly changed rows. */
  const on = (conn: PoolConnection, tx?: { changed: boolean }): Queryable => ({
    async queryRaw(q) {
      const rows = await driver(() => conn.execute<unknown>(q.sql, driverArgs(q.args, q.argTypes)));
      return { rows: Array.isArray(rows) ? (rows as unknown[][]) : [] };
    },
    async executeRaw(q) {
      const result = await driver(() => conn.execute<{ affectedRows?: number }>(q.sql, driverArgs(q.args, q.argTypes)));
      const affected = result.affectedRows ?? 0;
      if (!tx)
        commits?.forget(conn); // an autocommit write moved the connection's last write set
      else if (certainlyChanged(q.sql, affected)) tx.changed = true;
      return affected;
    },
  });
  /** The pool as `usingWithin` takes it: a statement past its deadline killed and its connection dropped. */
  const pooled = {
    acquire: () => driver(() => pool.getConnection()),
    giveBack: (conn: PoolConnection) => conn.release().catch(() => {}),
    cut: cutOff,
  };
  /** One attempt on a pooled connection, its connection and statements under one bound. */
  const attempt = <T>(bounds: CallBounds | undefined, fn: (conn: PoolConnection) => Promise<T>): Promise<T> =>
    usingWithin(timeLeft(bounds, bound), pooled, async (conn) => {
      try {
        return await fn(conn);
      } finally {
        if (!cut.has(conn)) await conn.release().catch(() => {});
      }
    });
  /** The pool as a Db whose attempts are bounded by `bounds` (a call's), or by `timeoutMs` alone. */
  const view = (bounds: CallBounds | undefined): Db => ({
    queryRaw: (q) => attempt(bounds, (conn) => on(conn).queryRaw(q)),
    executeRaw: (q) => attempt(bounds, (conn) => on(conn).executeRaw(q)),
    transaction: (fn, options) =>
      attempt(bounds, async (conn) => {
        // The row-lock wait of this transaction: a batch's short one, else the session's (the
        // deadline cuts it shorter); set only where the connection's differs.
        const wait = bounds?.lockWaitMs === undefined ? sessionLockWait : lockSeconds(bounds.lockWaitMs);
        if ((lockWaits.get(conn) ?? sessionLockWait) !== wait) {
          await driver(() => conn.query(`SET SESSION innodb_lock_wait_timeout = ${wait}`));
          lockWaits.set(conn, wait);
        }
        try {
          const before = await commits?.before(conn);
          await driver(() => conn.beginTransaction());
          const tx = { changed: false };
          const result = await fn(on(conn, tx));
          // COMMIT sent as a statement: the driver's commit() sends nothing when the last status
          // it saw says no transaction is open, and a write it skips is acknowledged unsent.
          await driver(() => conn.query("COMMIT"));
          const confirm = options?.confirm;
          if (commits && before !== undefined && tx.changed) await commits.verify(conn, before, confirm && (() => confirm(on(conn))));
          return result;
        } catch (error) {
          if (!cut.has(conn)) await conn.rollback().catch(() => {});
          throw error;
        }
      }),
    within: view,
    dispose: () => pool.end(),
  });
  return view(undefined);
}

/** MySQL's and MariaDB's record (one dialect serves both; jsonKeepsText tells them apart). */
export const mysql: Dialect = {
  provider: "mysql",
  param: () => "?",
  lockRow: " FOR UPDATE",
  lockShared: " LOCK IN SHARE MODE",
  // Each at its maximum: the walk's own condition (depths that fall at every step) ends it.
  unboundedRecursion: (version) =>
    /mariadb/i.test(version)
      ? { before: "SET STATEMENT max_recursive_iterations = 4294967295 FOR ", hint: "" }
      : { before: "", hint: "/*+ SET_VAR(cte_max_recursion_depth = 4294967295) */ " },
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
  deadlines: true,
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
  // A row of a table of the runner's own: inserting it is certified cluster-wide, so of two
  // nodes inserting at once one wins and the other sees a duplicate key or a conflict.
  clusterLock: {
    async prepare(conn) {
      const rows = await conn.query<{ Value?: unknown }>("SHOW VARIABLES LIKE 'wsrep_on'");
      if (rows[0]?.Value !== "ON") return false;
      await conn.exec("SET SESSION wsrep_sync_wait = 1");
      return true;
    },
    async take(conn, holder, ttlMs) {
      await conn.exec(
        "CREATE TABLE IF NOT EXISTS `_ors_migration_lock` (`id` TINYINT PRIMARY KEY, `holder` VARCHAR(64) NOT NULL, `expires_at` DATETIME(3) NOT NULL)",
      );
      await conn.query("DELETE FROM `_ors_migration_lock` WHERE id = 1 AND expires_at < UTC_TIMESTAMP(3)");
      try {
        await conn.query("INSERT INTO `_ors_migration_lock` VALUES (1, ?, UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND)", [
          holder,
          ttlMs * 1000,
        ]);
        return true;
      } catch (error) {
        const errno = (error as { errno?: unknown }).errno;
        if (errno === 1062 || errno === 1213) return false;
        throw error;
      }
    },
    async release(conn, holder) {
      await conn.query("DELETE FROM `_ors_migration_lock` WHERE id = 1 AND holder = ?", [holder]);
    },
  },
  timestamp: (d) => d,
  checkUrl: networkUrlProblem,
  async openRawConnection(url, timeoutMs = DEFAULT_ATTEMPT_MS) {
    const mariadb = await import("mariadb");
    const wait = lockSeconds(timeoutMs);
    const conn = await mariadb.createConnection({
      ...mysqlConfig(url),
      multipleStatements: true,
      timezone: "Z",
      connectTimeout: timeoutMs,
      socketTimeout: 10 * timeoutMs,
      keepAliveDelay: 10_000,
      initSql: `SET SESSION innodb_lock_wait_timeout = ${wait}, lock_wait_timeout = ${wait}`,
    });
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
  lockTimeout: (e) => e.errno === 1205 || e.errno === 3572,
  uniqueViolation: (e) => e.errno === 1062,
};
