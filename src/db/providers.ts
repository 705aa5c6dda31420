/** The registry of database engines: the Dialect record each engine's file fills in, and URL routing to it. */
import { ConfigurationError } from "../errors.js";
import type { Db } from "./client.js";
import type { PoolHooks, PoolOptions } from "./connection.js";
import { mysql } from "./dialects/mysql.js";
import { postgresql } from "./dialects/postgresql.js";
import { sqlite } from "./dialects/sqlite.js";

export { mysqlConfig } from "./dialects/mysql.js";
export { sqlitePath } from "./dialects/sqlite.js";

/**
 * The database families the store runs on.
 *
 * @example
 * ```ts
 * const provider: ProviderName = providerFromUrl(url);
 * ```
 */
export type ProviderName = "sqlite" | "postgresql" | "mysql";

/** One raw connection, used by the migration runner (outside Prisma, like `prisma migrate`). */
export interface RawConnection {
  /** Runs a script of one or more statements. */
  exec(script: string): Promise<void>;
  /** Runs one parameterised statement and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A driver or server error as the engines' classifiers read it. */
export interface DriverError {
  code?: unknown;
  errno?: unknown;
}

/** What a statement with a recursive CTE carries so that the server walks it to its end (see Dialect.unboundedRecursion). */
export interface Recursion {
  /** Written before the statement (MariaDB's `SET STATEMENT ... FOR`). */
  before: string;
  /** Written right after the main query's SELECT keyword (MySQL's optimizer hint). */
  hint: string;
}

/**
 * Everything that differs between engines, as one record per engine (`dialects/<engine>.ts`):
 * the SQL fragments the repository writes, what the engine can do, how migrations run and are
 * locked on it, how its connections open, and how its errors read. Code outside `db/dialects/`
 * asks the record for a fact and never tests the engine's name, so a new engine (or a cluster
 * flavour of one) is one new file and one line in DIALECTS below.
 */
export interface Dialect {
  readonly provider: ProviderName;

  // ---- SQL fragments
  /**
   * The placeholder for the i-th (1-based) parameter of `type`. PostgreSQL casts JSON and
   * bigint parameters: clients that type parameters by their JS value (PrismaClient's raw
   * queries send strings as text) would otherwise be refused for json and bigint columns.
   */
  param(i: number, type?: string): string;
  /** What ends a SELECT that locks the rows it reads until the transaction ends ("" on SQLite, whose write transactions are exclusive). */
  readonly lockRow: string;
  /** What ends a SELECT that keeps the rows it reads from being changed or deleted until the transaction ends (others may read them). */
  readonly lockShared: string;
  /**
   * How a statement with a recursive CTE lifts the server's bound on its rounds, by the server's
   * `SELECT VERSION()` (MySQL 8 stops after 1000 rounds with an error, MariaDB after 1000 without
   * one, returning what it has): SQL written before the statement, and right after the SELECT
   * keyword of its main query. A chain of 10,000 turns is walked in 10,000 rounds.
   */
  unboundedRecursion(serverVersion: string): Recursion;
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
  /**
   * How a guarded upsert is written (repository/upsert.ts): one `INSERT ... ON CONFLICT (key)
   * DO UPDATE ... WHERE ... RETURNING key` whose returned keys say which writes happened, or
   * (MySQL, whose `ON DUPLICATE KEY UPDATE` cannot report a refused update) a plain INSERT,
   * then on a duplicate key a locking SELECT of which rows may be updated and an upsert of those.
   */
  readonly upsert: "on-conflict-where" | "insert-then-update";
  /** In an upsert's update, the value the insert proposed for `column` (`excluded.c`, `VALUES(c)`). */
  proposed(column: string): string;

  // ---- capabilities
  /**
   * Whether a write transaction holds the whole database (SQLite): then a write of several
   * statements runs as one transaction, so concurrent calls cannot interleave with it, at
   * little cost; and writes go straight to the database by default (no write queue).
   */
  readonly exclusiveWrites: boolean;
  /**
   * Whether the engine's pool cuts an attempt off at its call's deadline (db/deadline.ts): a
   * network server may stop answering. SQLite's statements run in-process, synchronously, and
   * its busy waits have their own bound, so its calls carry no deadline (which costs every
   * promise of the process a little, once carried).
   */
  readonly deadlines: boolean;
  /**
   * Whether a read of one row by id under other conditions must find the row by its primary
   * key first and check the rest on it (PostgreSQL's planner, on a table without statistics,
   * may walk a whole owner index instead; elsewhere the fence costs).
   */
  readonly lookUpByKeyFirst: boolean;
  /**
   * Whether a JSON column reads back the text that was stored, by the server's `SELECT
   * VERSION()`. Where it does not (MySQL 8's binary JSON reorders keys), history digests are
   * taken over JSON with sorted keys.
   */
  jsonKeepsText(serverVersion: string): boolean;
  /** Whether the store can route reads to streaming replicas of the primary (replicas.ts speaks PostgreSQL's WAL positions). */
  readonly readReplicas: boolean;
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

  // ---- migrations
  /** `_prisma_migrations` exactly as Prisma's schema engine creates it (IF NOT EXISTS added). */
  readonly migrationsTableDdl: string;
  /**
   * The migration lock: Prisma's own, so our runner and `prisma migrate deploy` exclude each
   * other. `acquire` takes it (opening the transaction it lives in where `transactional`);
   * `release` ends it after success, `abort` after a failure; `busy` tells an answer that
   * means "try again shortly". A transactional lock cannot outlive its transaction, even
   * through a pooler that hands the server connection to someone else afterwards.
   */
  readonly migrationLock: {
    acquire: readonly string[];
    release: string;
    abort: string;
    transactional: boolean;
    busy(error: unknown): boolean;
  };
  /**
   * Where the engine's lock holds on one node only (a MariaDB Galera cluster, whose GET_LOCK is
   * node-local): a lock every node sees, taken after the node's own. `prepare` makes the
   * connection read with causality (every commit certified anywhere before is seen) where the
   * server is such a node, and says whether it is; `take` tries once (false: another holds
   * it), for `ttlMs`, after which a crashed holder's lock may be taken over.
   */
  readonly clusterLock?: {
    prepare(conn: RawConnection): Promise<boolean>;
    take(conn: RawConnection, holder: string, ttlMs: number): Promise<boolean>;
    release(conn: RawConnection, holder: string): Promise<void>;
  };
  /**
   * How the engine wakes the followers of a response's events at once (PostgreSQL's
   * LISTEN/NOTIFY); without it they poll.
   */
  readonly notifications?: {
    /** The statement that notifies `channel` with `payload`, delivered when its transaction commits. */
    notify(p: { value(value: unknown): string }, channel: string, payload: string): string;
    /**
     * Listens on `channel` over a connection of its own: `onPayload` hears each notification,
     * `onLost` that the connection went (notifications may have been missed). Gives up
     * connecting after `timeoutMs`.
     */
    listen(
      url: string,
      channel: string,
      onPayload: (payload: string) => void,
      onLost: () => void,
      timeoutMs: number,
    ): Promise<{ close(): Promise<void> }>;
  };
  /** A timestamp value for `_prisma_migrations` as the engine writes it. */
  timestamp(date: Date): unknown;

  // ---- connections
  /** What is wrong with a URL of this engine, in words that never include its password; undefined when it is usable. */
  checkUrl(url: string): string | undefined;
  /**
   * One plain connection, for the migration runner: it gives up connecting after `timeoutMs`,
   * waits at most that long for a lock another session holds, and cuts a statement off after ten
   * times that.
   */
  openRawConnection(url: string, timeoutMs?: number): Promise<RawConnection>;
  /** The store's own pool, with the driver's fastest settings. Dispose it to close the pool. */
  openPool(url: string, pool: PoolOptions, hooks: PoolHooks): Promise<Db>;

  // ---- errors (a pool's errors carry no stored content in their message: each pool sees to it)
  /** Whether the engine's own code or errno on `error` names a condition that passes (lost connection, deadlock, busy). */
  transient(error: DriverError): boolean;
  /** Whether `error` is the engine's "lock wait timed out" (a row or table another transaction holds). */
  lockTimeout(error: DriverError): boolean;
  /** Whether `error` is the engine's unique-constraint violation. */
  uniqueViolation(error: DriverError): boolean;
}

/** Every engine's record. */
export const DIALECTS: Record<ProviderName, Dialect> = { sqlite, postgresql, mysql };

/**
 * The dialect record of a provider.
 *
 * @example
 * ```ts
 * const { lockRow } = dialectFor("postgresql"); // " FOR UPDATE"
 * ```
 */
export function dialectFor(provider: ProviderName): Dialect {
  return DIALECTS[provider];
}

/** A table's name as SQL: qualified with `schema` where one is configured and the engine has schemas. */
export function qualifiedTable(dialect: Dialect, schema: string | undefined, table: string): string {
  return schema && dialect.schema ? dialect.schema.qualify(schema, table) : table;
}

/** The default database: `DATABASE_URL`, else an embedded SQLite file in the working directory. */
export function defaultUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL || "file:./responses.db";
}

/**
 * The provider a URL names, by its scheme: `file:` (SQLite), `postgres:`/`postgresql:`,
 * `mysql:`/`mariadb:`.
 *
 * @example
 * ```ts
 * providerFromUrl("postgresql://app@db/app"); // "postgresql"
 * ```
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

/**
 * Refuses a URL its engine cannot use, naming what is wrong with it (never its password).
 *
 * @throws ConfigurationError naming `option`.
 */
export function assertUsableUrl(option: string, url: string): void {
  const problem = dialectFor(providerFromUrl(url)).checkUrl(url);
  if (problem) throw new ConfigurationError(option, `Invalid database URL ${redactUrl(url)} ('${option}'): ${problem}`);
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@");
}
