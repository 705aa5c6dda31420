/**
 * The store's own connections: better-sqlite3, pg and mariadb used directly, as the `Db` the
 * repository queries through, with each driver's fastest settings (cached prepared statements,
 * rows as arrays, JSON and bigints as text). Prisma's driver adapters remain for hosts that hand
 * one over (`adapter` option, client.ts): measured in bench/store-vs-raw.ts, the adapters cost
 * 1.5-2x the raw driver on SQLite stores and MySQL gets (per-call statement preparation, a
 * per-field type-cast callback, argument and row mapping), and the store did not need any of it.
 * pg and mariadb load only for their provider.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { ArgType, SqlQuery } from "@prisma/driver-adapter-utils";
import type { Db, Queryable } from "./client.js";
import { SQLITE_BUSY_TIMEOUT_MS, SQLITE_CACHE_KIB, mysqlConfig, pgConnection, sqlitePath, type ProviderName } from "./providers.js";

/** Driver pool settings (in Prisma 7 the pool belongs to the driver). */
export interface PoolOptions {
  /** Most connections the pool opens (PostgreSQL, MySQL). @default 10 */
  max?: number;
  /** PostgreSQL: give up on connecting, or on a query, after this long (replicas: a server that stops answering leaves the rotation). @default none */
  timeoutMs?: number;
}

/** Arguments as the driver binds them: "bigint" values (decimal strings) become BigInt. */
function driverArgs(args: readonly unknown[], types: readonly ArgType[]): unknown[] {
  return args.map((v, i) => (types[i]?.scalarType === "bigint" && typeof v === "string" ? BigInt(v) : v));
}

/**
 * Opens the store's own connection to `url`. Dispose it to close the pool. `onIdleError` hears
 * of pooled connections the server closed (a restart, a failover): the pool replaces them, and
 * the next query fails only if the server is still gone.
 */
export async function openDriverDb(
  provider: ProviderName,
  url: string,
  pool: PoolOptions = {},
  onIdleError: (error: Error) => void = () => {},
  warn: (message: string) => void = () => {},
): Promise<Db> {
  switch (provider) {
    case "sqlite":
      return sqliteDb(url);
    case "postgresql":
      return pgDb(url, pool, onIdleError, warn);
    case "mysql":
      return mysqlDb(url, pool.max ?? 10, onIdleError);
  }
}

/** Statements kept prepared per SQLite connection (the store issues a few dozen shapes). */
const SQLITE_STATEMENT_CACHE = 500;

/** The transaction in progress on a SQLite file, by absolute path, across this process's connections. */
const SQLITE_FILES = new Map<string, { current: Promise<unknown> | undefined }>();

function fileTransactions(path: string): { current: Promise<unknown> | undefined } {
  const key = resolve(path);
  let file = SQLITE_FILES.get(key);
  if (!file) SQLITE_FILES.set(key, (file = { current: undefined }));
  return file;
}

async function sqliteDb(url: string): Promise<Db> {
  const { default: Database } = await import("better-sqlite3");
  // The busy timeout serialises writers across connections and processes (WAL is switched on
  // by the migration runner).
  const db = new Database(sqlitePath(url), { timeout: SQLITE_BUSY_TIMEOUT_MS });
  db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  const statements = new Map<string, import("better-sqlite3").Statement>();
  const prepare = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) {
      if (statements.size >= SQLITE_STATEMENT_CACHE) statements.clear();
      stmt = db.prepare(sql);
      if (stmt.reader) stmt.raw(true);
      statements.set(sql, stmt);
    }
    return stmt;
  };
  // better-sqlite3 binds no booleans: SQLite keeps them as 1 and 0.
  const args = (q: SqlQuery) => driverArgs(q.args, q.argTypes).map((v) => (typeof v === "boolean" ? Number(v) : v));
  const direct: Queryable = {
    queryRaw: async (q) => {
      const stmt = prepare(q.sql);
      return { rows: stmt.reader ? (stmt.all(...args(q)) as unknown[][]) : (stmt.run(...args(q)), []) };
    },
    executeRaw: async (q) => prepare(q.sql).run(...args(q)).changes,
  };
  // While a transaction's callback awaits, other calls wait for it to end: on this connection,
  // so that none of their statements lands inside it; and on every other connection of this
  // process to the same file (another store instance), whose statements would otherwise wait
  // for the write lock synchronously, blocking the event loop the transaction needs to end.
  const file = fileTransactions(db.name);
  const outside = async <T>(fn: () => Promise<T>): Promise<T> => {
    while (file.current) await file.current.catch(() => {});
    return fn();
  };
  return {
    queryRaw: (q) => (file.current ? outside(() => direct.queryRaw(q)) : direct.queryRaw(q)),
    executeRaw: (q) => (file.current ? outside(() => direct.executeRaw(q)) : direct.executeRaw(q)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      outside(async () => {
        const run = (async () => {
          prepare("BEGIN IMMEDIATE").run();
          try {
            const result = await fn(direct);
            prepare("COMMIT").run();
            return result;
          } catch (error) {
            if (db.inTransaction) prepare("ROLLBACK").run();
            throw error;
          }
        })();
        file.current = run;
        try {
          return await run;
        } finally {
          file.current = undefined;
        }
      }),
    dispose: async () => void db.close(),
  };
}

/**
 * Statement texts given a server-side prepared statement name, per store; later ones go
 * unnamed. Each name costs memory on every server connection that prepared it: the first 256
 * texts are the common ones (gets, lists, the queue's batch sizes).
 */
const PG_NAMED_STATEMENTS = 256;

/** SQLSTATEs of a named statement the server connection does not have, or already has. */
const NAMED_STATEMENT_MISMATCH = new Set(["26000", "42P05"]);

async function pgDb(url: string, options: PoolOptions, onIdleError: (error: Error) => void, warn: (message: string) => void): Promise<Db> {
  const { default: pg } = await import("pg");
  const { connectionString } = pgConnection(url);
  let { prepared } = pgConnection(url);
  const timeouts = options.timeoutMs === undefined ? {} : { connectionTimeoutMillis: options.timeoutMs, query_timeout: options.timeoutMs };
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, ...timeouts });
  pool.on("error", onIdleError);
  // Every value comes back as the server's text: JSON is parsed once by the repository, and
  // bigints keep their digits.
  const asText = { getTypeParser: () => (value: string) => value };
  // Named statements are parsed and planned once per connection (measured: 5-15% less server
  // CPU on the queue's batches). Not through a transaction-mode pooler (?pgbouncer=true, as
  // Prisma spells it), where the next statement may reach a server connection that lacks them.
  // A name is a digest of the statement's text, so that wherever a server connection already
  // holds a statement of that name (another client's, through a pooler), it is this statement.
  const names = new Map<string, string>();
  const nameOf = (sql: string): string | undefined => {
    if (!prepared) return undefined;
    let name = names.get(sql);
    if (name === undefined && names.size < PG_NAMED_STATEMENTS) {
      names.set(sql, (name = `ors_${createHash("sha256").update(sql).digest("hex").slice(0, 32)}`));
    }
    return name;
  };
  // A transaction-mode pooler without ?pgbouncer=true shows itself by a named statement that a
  // server connection lacks (or already has): from then on statements go unnamed, and the one
  // that failed is sent again unnamed (it did not run). Inside a transaction, which that error
  // aborted, it is thrown instead (classed transient: the retry runs unnamed).
  type Result = { rows: unknown[]; rowCount: number | null };
  const send = (client: Pick<import("pg").Pool, "query">, config: object) =>
    client.query(config as import("pg").QueryArrayConfig) as unknown as Promise<Result>;
  const run = async (client: Pick<import("pg").Pool, "query">, inTransaction: boolean, q: SqlQuery, rowMode?: "array"): Promise<Result> => {
    const name = nameOf(q.sql);
    try {
      return await send(client, { name, text: q.sql, values: q.args, rowMode, types: asText });
    } catch (error) {
      if (!name || !NAMED_STATEMENT_MISMATCH.has(String((error as { code?: unknown }).code))) throw error;
      if (prepared) warn("openai-responses-store: the server lost a prepared statement (a transaction-mode pooler?); using unnamed statements from now on. Add ?pgbouncer=true to the URL to say so up front.");
      prepared = false;
      if (inTransaction) throw error;
      return send(client, { text: q.sql, values: q.args, rowMode, types: asText });
    }
  };
  const on = (client: Pick<import("pg").Pool, "query">, inTransaction: boolean): Queryable => ({
    queryRaw: async (q) => ({ rows: (await run(client, inTransaction, q, "array")).rows as unknown[][] }),
    executeRaw: async (q) => (await run(client, inTransaction, q)).rowCount ?? 0,
  });
  return {
    ...on(pool, false),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query("BEGIN");
        const result = await fn(on(client, true));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((rollbackError: unknown) => (broken = rollbackError));
        throw error;
      } finally {
        client.release(broken instanceof Error ? broken : undefined); // a connection that failed to roll back is discarded
      }
    },
    dispose: () => pool.end(),
  };
}

async function mysqlDb(url: string, max: number, onIdleError: (error: Error) => void): Promise<Db> {
  const mariadb = await import("mariadb");
  // foundRows (the driver's default, kept explicit): UPDATE reports matched rows, so an update
  // that changes nothing still counts as done. Prepared statements are cached per connection
  // (Prisma's adapter turns the cache off, which costs two extra round trips per query).
  // Result options are the pool's, not each query's: per-query options make the driver copy all
  // of its connection options on every query (measured: ~15% of a get's CPU).
  const pool = mariadb.createPool({
    ...mysqlConfig(url),
    connectionLimit: max,
    foundRows: true,
    prepareCacheLength: 256,
    rowsAsArray: true,
    autoJsonMap: false, // JSON columns as text: the repository parses them once
    bigIntAsNumber: false,
    dateStrings: true,
  });
  (pool as unknown as NodeJS.EventEmitter).on("error", onIdleError); // emitted, though not in the typings
  const on = (conn: Pick<import("mariadb").Pool, "execute">): Queryable => ({
    async queryRaw(q) {
      const rows = (await conn.execute(q.sql, driverArgs(q.args, q.argTypes))) as unknown;
      return { rows: Array.isArray(rows) ? (rows as unknown[][]) : [] };
    },
    async executeRaw(q) {
      const result = (await conn.execute(q.sql, driverArgs(q.args, q.argTypes))) as { affectedRows?: number };
      return Number(result.affectedRows ?? 0);
    },
  });
  return {
    ...on(pool),
    async transaction(fn) {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        const result = await fn(on(conn));
        await conn.commit();
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
