/**
 * The connection the repository queries through (`Db`), and a host's adapter or PrismaClient as one.
 *
 * A host hands the store a Prisma driver adapter or a PrismaClient; the store's own connections
 * are the engines' pools (dialects/, opened by drivers.ts).
 */
import type { SqlDriverAdapter, SqlQuery } from "@prisma/driver-adapter-utils";
import type { CallBounds } from "./deadline.js";

export type { SqlDriverAdapter };

/** Runs parameterised SQL: rows come back as arrays in SELECT order. */
export interface Queryable {
  queryRaw(query: SqlQuery): Promise<{ rows: unknown[][] }>;
  executeRaw(query: SqlQuery): Promise<number>;
}

/** The connection the repository uses: a driver adapter's pool, or a host's PrismaClient. */
export interface Db extends Queryable {
  /** Runs `fn` in one transaction on one connection; commits, or rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * This connection with every attempt bounded by a call's `bounds`: the store's own pools cut
   * off a statement still running at the deadline. A host's pool, which cannot be told to, is
   * itself (the runtime stops waiting for it instead). Disposing a view disposes the pool.
   */
  within(bounds: CallBounds): Db;
  /** Releases what the store opened (never a host's pool or client). */
  dispose(): Promise<void>;
}

/** How a transaction is run. */
interface TransactionOptions {
  /**
   * Whether what the transaction wrote is stored, asked on its connection after a COMMIT that
   * answered OK yet may not have committed (a Galera node whose COMMIT replicated no write set:
   * a replayed transaction, or one a conflict aborted unreported). False refuses the commit with
   * a retryable error. Engines whose COMMIT is its own answer never ask.
   */
  confirm?: (q: Queryable) => Promise<boolean>;
}

/** What a statement sequence that may open a transaction runs on: a Db, or a transaction already open (asDb). */
export type TransactionalDb = Pick<Db, "queryRaw" | "executeRaw" | "transaction">;

/** A transaction's connection as a TransactionalDb whose nested transactions run in it. */
export function asDb(tx: Queryable): TransactionalDb {
  return { queryRaw: (q) => tx.queryRaw(q), executeRaw: (q) => tx.executeRaw(q), transaction: (fn) => fn(tx) };
}

/**
 * A transaction's connection as a whole Db, for repositories that must run inside it: nested
 * transactions run in it, its bounds are the transaction's, and disposing it releases nothing.
 */
export function transactionDb(tx: Queryable): Db {
  const db: Db = { ...asDb(tx), within: () => db, dispose: async () => {} };
  return db;
}

/** A Prisma driver adapter as a Db. */
export function adapterDb(adapter: SqlDriverAdapter): Db {
  const db: Db = {
    within: () => db, // the host's pool: bounded by the host's own timeouts
    queryRaw: (q) => adapter.queryRaw(q),
    executeRaw: (q) => adapter.executeRaw(q),
    dispose: () => adapter.dispose(),
    async transaction(fn) {
      const tx = await adapter.startTransaction();
      // Adapters differ in who ends a transaction: with usePhantomQuery false (pg, better-sqlite3)
      // commit()/rollback() only release the connection and COMMIT/ROLLBACK are ours to send;
      // with true (mariadb) they send them.
      const end = async (verb: "COMMIT" | "ROLLBACK") => {
        if (!tx.options.usePhantomQuery) await tx.executeRaw({ sql: verb, args: [], argTypes: [] });
        await (verb === "COMMIT" ? tx.commit() : tx.rollback());
      };
      let result;
      try {
        result = await fn(tx);
      } catch (error) {
        await end("ROLLBACK").catch(() => tx.rollback().catch(() => {}));
        throw error;
      }
      try {
        await end("COMMIT");
      } catch (error) {
        await tx.rollback().catch(() => {}); // release the connection; the server rolled back
        throw error;
      }
      return result;
    },
  };
  return db;
}

/**
 * The subset of a Prisma 7 PrismaClient the store uses (any generated client fits, whatever
 * its models): raw SQL and interactive transactions.
 *
 * @example
 * ```ts
 * const store = await createResponsesStore({ prisma, provider: "postgresql", migrate: false });
 * ```
 */
export interface PrismaClientLike {
  $queryRawUnsafe(sql: string, ...values: unknown[]): Promise<unknown>;
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
  /** Interactive transactions (the store passes one callback). */
  $transaction(...args: never[]): Promise<unknown>;
}

function prismaQueryable(client: Pick<PrismaClientLike, "$queryRawUnsafe" | "$executeRawUnsafe">): Queryable {
  return {
    async queryRaw(q) {
      const rows = (await client.$queryRawUnsafe(q.sql, ...q.args)) as Record<string, unknown>[];
      return { rows: rows.map((r) => Object.values(r)) };
    },
    executeRaw: (q) => client.$executeRawUnsafe(q.sql, ...q.args),
  };
}

/** A host's PrismaClient as a Db; the store never disconnects it. */
export function prismaDb(client: PrismaClientLike): Db {
  const db: Db = {
    within: () => db, // the host's client: bounded by the host's own timeouts
    ...prismaQueryable(client),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      (client.$transaction as unknown as (cb: (tx: PrismaClientLike) => Promise<T>) => Promise<T>)((tx) => fn(prismaQueryable(tx))),
    dispose: async () => {},
  };
  return db;
}
