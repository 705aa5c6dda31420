/** SQLite (better-sqlite3): its dialect record, `file:` URLs, WAL and busy handling, the raw connection and the store's pool. */
import { isAbsolute, resolve } from "node:path";
import type { SqlQuery } from "@prisma/driver-adapter-utils";
import type { Statement } from "better-sqlite3";
import { ConfigurationError } from "../../errors.js";
import { sleep } from "../../sleep.js";
import type { Db, Queryable } from "../client.js";
import { driverArgs } from "../connection.js";
import type { Dialect, DriverError } from "../providers.js";

/** Milliseconds a pooled SQLite connection waits for another writer before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Runs a statement that may meet another process's write lock. better-sqlite3 is synchronous, so
 * SQLite's own busy timeout would wait with the event loop stopped: the connection has none
 * (SQLITE_BUSY comes back at once), and the wait happens here, asynchronously, with short
 * jittered pauses, until BUSY_TIMEOUT_MS. A statement refused as busy did not run.
 */
async function whenFree<T>(run: () => T): Promise<T> {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      return run();
    } catch (error) {
      if (!isBusy(error) || performance.now() + pause > deadline) throw error;
      await sleep(pause / 2 + Math.random() * pause);
    }
  }
}

/** Most page cache, in KiB, of the store's connection (SQLite's default is 2 MiB); why: README, Benchmark. */
const CACHE_KIB = 65_536;

/** Statements kept prepared per connection (the store issues a few dozen shapes). */
const STATEMENT_CACHE = 500;

/** The filesystem path of a `file:` URL, resolved against the working directory. */
export function sqlitePath(url: string): string {
  let path = url.replace(/^file:/i, "");
  if (path.startsWith("//")) path = decodeURIComponent(new URL(url).pathname);
  path = path.split("?")[0]!;
  if (!path) throw new ConfigurationError("url", `SQLite URL ${url} names no file`);
  // (The annotation stops bundlers such as Next.js Turbopack from tracing the whole project.)
  return isAbsolute(path) ? path : resolve(/* turbopackIgnore: true */ process.cwd(), path);
}

/** Opens the file, or fails with an error that names it (better-sqlite3's do not). */
async function openFile(url: string, options: { timeout: number }) {
  const { default: Database } = await import("better-sqlite3");
  const path = sqlitePath(url);
  try {
    return new Database(path, options);
  } catch (error) {
    if (error instanceof Error) error.message = `${error.message} (SQLite file ${path})`;
    throw error;
  }
}

/** True for SQLite's "database is locked" family of errors. */
function isBusy(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return typeof code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

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
      if (!isBusy(error)) throw error;
      await sleep(25 + Math.random() * 75);
    }
  }
}

/**
 * The transaction in progress on one SQLite file, shared by every connection of this process to
 * that file: while a transaction's callback awaits, statements of the others wait for it, on
 * the event loop. Otherwise they would wait for the write lock synchronously (better-sqlite3
 * is synchronous), blocking the event loop the transaction needs to end.
 */
class FileTransactionLock {
  static readonly #files = new Map<string, FileTransactionLock>();

  /** The lock of the file at `path` (one per absolute path). */
  static of(path: string): FileTransactionLock {
    const key = resolve(path);
    let lock = FileTransactionLock.#files.get(key);
    if (!lock) FileTransactionLock.#files.set(key, (lock = new FileTransactionLock()));
    return lock;
  }

  #current: Promise<unknown> | undefined;

  get held(): boolean {
    return this.#current !== undefined;
  }

  /** Runs `fn` once no transaction holds the file. */
  async outside<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#current) await this.#current.catch(() => {});
    return fn();
  }

  /** Runs the transaction `run` holding the file until it settles. */
  async hold<T>(run: () => Promise<T>): Promise<T> {
    return this.outside(async () => {
      const running = run();
      this.#current = running;
      try {
        return await running;
      } finally {
        this.#current = undefined;
      }
    });
  }
}

/** The store's connection to a SQLite file: cached raw prepared statements, transactions under the file's lock. */
async function openPool(url: string): Promise<Db> {
  // No busy timeout: waits for other processes' writers happen in whenFree, off the event loop
  // (WAL is switched on by the migration runner).
  const db = await openFile(url, { timeout: 0 });
  db.pragma(`cache_size = -${CACHE_KIB}`);
  const statements = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) {
      if (statements.size >= STATEMENT_CACHE) statements.clear();
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
  // Outside a transaction a statement may meet another process's writer; inside one, this
  // connection holds the write lock (BEGIN IMMEDIATE) already.
  const free: Queryable = {
    queryRaw: (q) =>
      whenFree(() => {
        const stmt = prepare(q.sql);
        return { rows: stmt.reader ? (stmt.all(...args(q)) as unknown[][]) : (stmt.run(...args(q)), []) };
      }),
    executeRaw: (q) => whenFree(() => prepare(q.sql).run(...args(q)).changes),
  };
  const file = FileTransactionLock.of(db.name);
  const pool: Db = {
    within: () => pool, // in-process and synchronous: nothing to cut off (busy waits have their own bound)
    queryRaw: (q) => (file.held ? file.outside(() => free.queryRaw(q)) : free.queryRaw(q)),
    executeRaw: (q) => (file.held ? file.outside(() => free.executeRaw(q)) : free.executeRaw(q)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      file.hold(async () => {
        await whenFree(() => prepare("BEGIN IMMEDIATE").run());
        try {
          const result = await fn(direct);
          await whenFree(() => prepare("COMMIT").run());
          return result;
        } catch (error) {
          if (db.inTransaction) prepare("ROLLBACK").run();
          throw error;
        }
      }),
    dispose: async () => void db.close(),
  };
  return pool;
}

/** SQLite's record. */
export const sqlite: Dialect = {
  provider: "sqlite",
  param: () => "?",
  lockRow: "",
  lockShared: "",
  unboundedRecursion: () => ({ before: "", hint: "" }), // no bound on rounds
  byteLength: (col) => `length(CAST(${col} AS BLOB))`,
  jsonWithout: (col, keys) => `json_remove(${col}, ${keys.map((k) => `'$.${k}'`).join(", ")})`,
  json: {
    overlaps: (col, key, values, p) =>
      `EXISTS (SELECT 1 FROM json_each(${col}, ${p(`$.${key}`)}) AS e WHERE e.value IN (${values.map(p).join(", ")}))`,
    present: (col, key, p) => `COALESCE(json_array_length(${col}, ${p(`$.${key}`)}) > 0, 0)`,
  },
  upsert: "on-conflict-where",
  proposed: (column) => `excluded.${column}`,
  exclusiveWrites: true,
  deadlines: false,
  lookUpByKeyFirst: false,
  jsonKeepsText: () => true,
  readReplicas: false,
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
  // BEGIN IMMEDIATE can answer SQLITE_BUSY at once (another connection switching to WAL).
  migrationLock: { acquire: ["BEGIN IMMEDIATE"], release: "COMMIT", abort: "ROLLBACK", transactional: true, busy: isBusy },
  timestamp: (d) => d.toISOString().replace("Z", "+00:00"),
  checkUrl: (url) => {
    try {
      sqlitePath(url);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
  async openRawConnection(url) {
    // No busy wait: better-sqlite3 is synchronous, so waiting inside SQLite would freeze the
    // thread while another connection of this same process holds the lock. SQLITE_BUSY comes
    // back at once and the runner retries asynchronously.
    const db = await openFile(url, { timeout: 0 });
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
  openPool: (url) => openPool(url),
  transient: (e) => isBusy(e),
  lockTimeout: () => false, // a busy database is retried by the connection itself (busy waits)
  uniqueViolation: (e) => e.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || e.code === "SQLITE_CONSTRAINT_UNIQUE",
};
