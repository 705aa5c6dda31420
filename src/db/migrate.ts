/**
 * The migration runner: the bundled migrations applied and recorded as `prisma migrate deploy` does.
 *
 * Applies the bundled migrations (`prisma/<provider>/migrations`) and records them in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does, so that either path can run
 * after the other without re-applying anything. Safe when several processes start at once:
 * the run holds Prisma's own migration lock.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MigrationError, isResponsesStoreError } from "../errors.js";
import { sleep } from "../sleep.js";
import {
  assertUsableUrl,
  dialectFor,
  qualifiedTable,
  redactUrl,
  type Dialect,
  type ProviderName,
  type RawConnection,
} from "./providers.js";
import { isTransient } from "./transient.js";
import { DEFAULT_ATTEMPT_MS } from "./connection.js";

/** One migration folder as shipped. */
export interface BundledMigration {
  name: string;
  sql: string;
  checksum: string;
}

/**
 * What `migrate()` did.
 *
 * @example
 * ```ts
 * const { applied }: MigrationResult = await migrate("sqlite", "file:./responses.db");
 * ```
 */
export interface MigrationResult {
  /** Names of the migrations applied by this call (empty when the database was up to date). */
  applied: string[];
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
  logs: string | null;
}

/**
 * The installed package's folder: the nearest one up from this module whose package.json is
 * ours (the ESM build sits one folder deeper than the source, the CommonJS build two).
 */
const packageRoot = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "openai-responses-store")
      return dir;
    if (dirname(dir) === dir) return resolve(here, "..", "..");
  }
})();

/** The folder holding a provider's migrations (inside the installed package). */
function migrationsDir(provider: ProviderName): string {
  return join(packageRoot, "prisma", provider, "migrations");
}

/** SHA-256 hex of the migration file as read: the checksum Prisma records. */
export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/**
 * The provider's migrations, sorted by name as Prisma sorts them.
 *
 * @example
 * ```ts
 * const names = bundledMigrations("sqlite").map((m) => m.name); // in the order they apply
 * ```
 */
export function bundledMigrations(provider: ProviderName): BundledMigration[] {
  const dir = migrationsDir(provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: checksumOf(sql) };
    });
}

/** Checksums Prisma accepts for the same file: as read, and with line endings flipped. */
function acceptedChecksums(sql: string): Set<string> {
  return new Set([checksumOf(sql), checksumOf(sql.replace(/\r\n/g, "\n")), checksumOf(sql.replace(/(?<!\r)\n/g, "\r\n"))]);
}

/**
 * Options of `migrate()` and `migrationStatus()`.
 *
 * @example
 * ```ts
 * await migrate("postgresql", process.env.DIRECT_URL!, { schema: "tenant_a" });
 * ```
 */
export interface MigrateOptions {
  /**
   * PostgreSQL: the schema the tables and `_prisma_migrations` live in (created if missing).
   * @default the URL's `?schema=`, else the server's search_path
   */
  schema?: string;
  /**
   * How long the runner waits for the server: to connect, and for a lock another session holds
   * (a migration queued behind a lock would hold up every query behind it). Each statement is
   * cut off after ten times this, and the migration lock is waited for four times this.
   * @default 30000
   */
  timeoutMs?: number;
}

/**
 * Brings the database at `url` up to the bundled migrations.
 *
 * @throws MigrationError when a migration fails (its row keeps the error in `logs`, as Prisma
 * records it), when an earlier failed migration is unresolved (Prisma's P3009), or when an
 * applied migration was edited.
 *
 * @example
 * ```ts
 * const { applied } = await migrate("postgresql", process.env.DATABASE_URL!);
 * ```
 */
export async function migrate(provider: ProviderName, url: string, options: MigrateOptions = {}): Promise<MigrationResult> {
  return applyMigrations(provider, url, bundledMigrations(provider), options);
}

/** `migrate()` with a given list of migrations (tests build a database as an earlier release left it). */
export async function applyMigrations(
  provider: ProviderName,
  url: string,
  migrations: BundledMigration[],
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  assertUsableUrl("url", url);
  const dialect = dialectFor(provider);
  const schema = options.schema ?? dialect.schema?.of(url);
  let conn: RawConnection;
  try {
    conn = await dialect.openRawConnection(url, options.timeoutMs);
  } catch (cause) {
    throw new MigrationError(undefined, `Cannot connect to ${redactUrl(url)} to apply migrations: ${(cause as Error).message}`, {
      cause,
      retryable: isTransient(cause),
    });
  }
  const lock = dialect.migrationLock;
  const waitMs = 4 * (options.timeoutMs ?? DEFAULT_ATTEMPT_MS);
  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    await acquireLock(conn, dialect, waitMs);
    let result: T;
    let cluster: (() => Promise<void>) | undefined;
    try {
      cluster = await acquireClusterLock(conn, dialect, waitMs);
      if (schema && dialect.schema) {
        await conn.exec(dialect.schema.create(schema));
        await conn.exec(dialect.schema.use(schema));
      }
      result = await fn();
    } catch (error) {
      await cluster?.().catch(() => {});
      await conn.query(lock.abort).catch(() => {});
      throw error;
    }
    await cluster?.();
    await conn.query(lock.release);
    return result;
  };
  try {
    return await locked(() => applyPending(conn, dialect, migrations));
  } catch (cause) {
    if (cause instanceof FailedMigration) {
      // A transactional run rolled back everything, the migration's started row included:
      // record the failure as Prisma does (a row without finished_at, with the error in logs),
      // under the lock again, so that the next start stops with P3009 until it is resolved.
      // A failure that passes (a lock wait that timed out, a lost connection) is not the
      // migration's fault: nothing is recorded, and the next start tries again.
      if (isTransient(cause.error.cause)) {
        throw new MigrationError(cause.migration.name, cause.error.message, { cause: cause.error.cause, retryable: true });
      }
      if (lock.transactional) await locked(() => recordFailure(conn, dialect, cause)).catch(() => {});
      throw cause.error;
    }
    if (isResponsesStoreError(cause)) throw cause;
    throw new MigrationError(undefined, `Applying migrations failed: ${(cause as Error).message}`, { cause });
  } finally {
    await conn.close().catch(() => {});
  }
}

/** A migration whose script failed: what to record, and the error to throw. */
class FailedMigration extends Error {
  constructor(
    readonly migration: BundledMigration,
    readonly id: string,
    readonly startedAt: Date,
    readonly logs: string,
    readonly error: MigrationError,
  ) {
    super(error.message);
  }
}

async function recordFailure(conn: RawConnection, dialect: Dialect, failed: FailedMigration): Promise<void> {
  const p = (i: number) => dialect.param(i);
  await conn.exec(dialect.migrationsTableDdl);
  await conn.query(
    `INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name, logs, applied_steps_count) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, 0)`,
    [failed.id, failed.migration.checksum, dialect.timestamp(failed.startedAt), failed.migration.name, failed.logs],
  );
}

/**
 * Where a database stands against the bundled migrations (what `prisma migrate status` tells).
 *
 * @example
 * ```ts
 * const { pending, failed }: MigrationStatus = await migrationStatus("postgresql", url);
 * if (failed.length) console.error(`resolve ${failed.join(", ")} first`);
 * ```
 */
export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations whose file changed since. */
  edited: string[];
  /** Migrations that failed and are not resolved (Prisma's P3009 state). */
  failed: string[];
}

/**
 * Reads `_prisma_migrations` without changing anything.
 *
 * @example
 * ```ts
 * const { pending } = await migrationStatus("sqlite", "file:./responses.db");
 * ```
 */
export async function migrationStatus(provider: ProviderName, url: string, options: MigrateOptions = {}): Promise<MigrationStatus> {
  assertUsableUrl("url", url);
  const dialect = dialectFor(provider);
  const migrations = bundledMigrations(provider);
  const schema = options.schema ?? dialect.schema?.of(url);
  const conn = await dialect.openRawConnection(url, options.timeoutMs);
  try {
    let rows: MigrationRow[] = [];
    const table = qualifiedTable(dialect, schema, "_prisma_migrations");
    try {
      rows = await conn.query<MigrationRow>(`SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM ${table}`);
    } catch {
      rows = []; // no _prisma_migrations yet: everything is pending
    }
    const live = rows.filter((r) => r.rolled_back_at == null);
    const done = (name: string) => live.find((r) => r.migration_name === name && r.finished_at != null);
    return {
      applied: migrations.filter((m) => done(m.name)).map((m) => m.name),
      pending: migrations.filter((m) => !live.some((r) => r.migration_name === m.name)).map((m) => m.name),
      edited: migrations.filter((m) => done(m.name) && !acceptedChecksums(m.sql).has(done(m.name)!.checksum)).map((m) => m.name),
      failed: live.filter((r) => r.finished_at == null).map((r) => r.migration_name),
    };
  } finally {
    await conn.close();
  }
}

async function acquireLock(conn: RawConnection, dialect: Dialect, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      let rows: { locked?: unknown }[] = [];
      for (const statement of dialect.migrationLock.acquire) rows = await conn.query<{ locked?: unknown }>(statement);
      // GET_LOCK answers 0 on timeout; the other providers block until they hold the lock.
      if (rows[0]?.locked === undefined || Number(rows[0].locked) === 1) return;
    } catch (error) {
      if (!dialect.migrationLock.busy(error)) throw error;
      // A transactional lock's wait that timed out aborted its transaction: end it before trying again.
      if (dialect.migrationLock.transactional) await conn.query(dialect.migrationLock.abort).catch(() => {});
      await sleep(25 + Math.random() * 75);
    }
    if (Date.now() > deadline) throw new MigrationError(undefined, "Timed out waiting for the migration lock", { retryable: true });
  }
}

/**
 * On a cluster whose engine lock is node-local (Galera), takes the lock every node sees, waiting
 * for another node's run to end; returns its release, or undefined where none is needed.
 */
async function acquireClusterLock(conn: RawConnection, dialect: Dialect, waitMs: number): Promise<(() => Promise<void>) | undefined> {
  const cluster = dialect.clusterLock;
  if (!cluster || !(await cluster.prepare(conn))) return undefined;
  const holder = randomUUID();
  const deadline = Date.now() + waitMs;
  while (!(await cluster.take(conn, holder, waitMs))) {
    if (Date.now() > deadline) {
      throw new MigrationError(undefined, "Timed out waiting for another node's migrations (the cluster migration lock)", {
        retryable: true,
      });
    }
    await sleep(100 + Math.random() * 200);
  }
  return () => cluster.release(conn, holder);
}

async function applyPending(conn: RawConnection, dialect: Dialect, migrations: BundledMigration[]): Promise<MigrationResult> {
  const p = (i: number) => dialect.param(i);
  await conn.exec(dialect.migrationsTableDdl);
  const rows = await conn.query<MigrationRow>(`SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM _prisma_migrations`);
  const failed = rows.find((r) => r.finished_at == null && r.rolled_back_at == null);
  if (failed) {
    throw new MigrationError(
      failed.migration_name,
      `Migration ${failed.migration_name} failed earlier and is unresolved (Prisma P3009); ` +
        `fix the database, then mark it with \`prisma migrate resolve\`. Its log: ${failed.logs ?? "(none)"}`,
    );
  }
  const applied: string[] = [];
  for (const m of migrations) {
    const done = rows.find((r) => r.migration_name === m.name && r.rolled_back_at == null);
    if (done) {
      if (!acceptedChecksums(m.sql).has(done.checksum)) {
        throw new MigrationError(m.name, `Migration ${m.name} was modified after it was applied (checksum mismatch)`);
      }
      continue;
    }
    const id = randomUUID();
    const startedAt = new Date();
    await conn.query(
      `INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name, applied_steps_count) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 0)`,
      [id, m.checksum, dialect.timestamp(startedAt), m.name],
    );
    try {
      await conn.exec(m.sql);
    } catch (cause) {
      const logs = String((cause as Error).message);
      const error = new MigrationError(m.name, `Migration ${m.name} failed: ${logs}`, { cause });
      // In a transactional run everything this run did is rolled back; the failure is then
      // recorded on its own (see applyMigrations).
      if (dialect.migrationLock.transactional) throw new FailedMigration(m, id, startedAt, logs, error);
      await conn.query(`UPDATE _prisma_migrations SET logs = ${p(1)} WHERE id = ${p(2)}`, [logs, id]);
      throw error;
    }
    await conn.query(`UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1 WHERE id = ${p(1)}`, [id]);
    await conn.query(`UPDATE _prisma_migrations SET finished_at = ${p(1)} WHERE id = ${p(2)}`, [dialect.timestamp(new Date()), id]);
    applied.push(m.name);
  }
  return { applied };
}
