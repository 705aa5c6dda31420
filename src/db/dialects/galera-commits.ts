/** A Galera node's COMMIT checked against the write set it replicated: a transaction the node rolled back and then answered OK is refused, retryably. */
import type { PoolConnection } from "mariadb";

/**
 * Whether a statement that affected `affected` rows certainly changed one: an INSERT that is not
 * an upsert, or a DELETE. (An UPDATE or an upsert that matched rows may have set them to what
 * they held, and a transaction that changes nothing replicates nothing.)
 *
 * @example
 * ```ts
 * certainlyChanged("INSERT INTO t (id) VALUES (?)", 1); // true
 * certainlyChanged("INSERT INTO t (id) VALUES (?) ON DUPLICATE KEY UPDATE id = VALUES(id)", 1); // false
 * ```
 */
export function certainlyChanged(sql: string, affected: number): boolean {
  if (affected <= 0) return false;
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
  return verb === "DELETE" || (verb === "INSERT" && !/\bON\s+DUPLICATE\s+KEY\s+UPDATE\b/i.test(sql));
}

/** The error a COMMIT that replicated nothing is refused with: MariaDB's deadlock (1213), which every caller retries. */
function notReplicated(): Error {
  return Object.assign(
    new Error(
      "The Galera node answered COMMIT with OK, but it replicated no write set and the writes are not stored: a write from another node aborted the transaction and the rollback was not reported. Try again",
    ),
    { errno: 1213, code: "ER_LOCK_DEADLOCK", sqlState: "40001" },
  );
}

/**
 * Each pooled connection's last replicated write set on a Galera node (WSREP_LAST_WRITTEN_GTID),
 * so that a transaction that certainly changed rows and replicated none is acknowledged only
 * when its writes are found stored. MariaDB 10.11 answered OK to the COMMIT of a transaction that a conflicting
 * write from another node had aborted during a SELECT ... FOR UPDATE (the abort's error never
 * reached the client): the writes before it were gone from every node while the store
 * acknowledged them (test/db/galera.test.ts, seen in about one run in five). A transaction the
 * node replays after a conflict also commits without a write set of the session's, so neither
 * is told from the other without looking. Costs a small SELECT after such a commit, one before
 * a transaction on a connection whose last write set is not known, and the caller's look where
 * no write set came of it.
 *
 * @example
 * ```ts
 * import mariadb from "mariadb";
 * const pool = mariadb.createPool("mariadb://root@127.0.0.1:3306/test");
 * const conn = await pool.getConnection();
 * const commits = new GaleraCommits();
 * const before = await commits.before(conn);
 * // ... START TRANSACTION, writes, COMMIT ...
 * await commits.verify(conn, before, async () => true); // throws a retryable error where the check finds the writes gone
 * ```
 */
export class GaleraCommits {
  readonly #written = new WeakMap<PoolConnection, string>();

  /** The connection's last written GTID, read where it is not known. */
  async before(conn: PoolConnection): Promise<string> {
    return this.#written.get(conn) ?? (await this.#read(conn));
  }

  /** A write outside a transaction replicated a write set this cache has not seen. */
  forget(conn: PoolConnection): void {
    this.#written.delete(conn);
  }

  /**
   * After a COMMIT of a transaction that certainly changed rows: where it replicated no write set
   * of this session's, asks `confirm` (a transaction the node replayed after a conflict commits
   * without one, and stands); throws where it says the writes are not there. Without `confirm`
   * the two cannot be told apart, and the commit stands.
   */
  async verify(conn: PoolConnection, before: string, confirm: (() => Promise<boolean>) | undefined): Promise<void> {
    const after = await this.#read(conn);
    if (after === before && confirm && !(await confirm())) throw notReplicated();
  }

  async #read(conn: PoolConnection): Promise<string> {
    const rows = await conn.query<unknown[][]>("SELECT WSREP_LAST_WRITTEN_GTID()");
    const value = rows[0]?.[0];
    const gtid = Buffer.isBuffer(value) ? value.toString("latin1") : String(value);
    this.#written.set(conn, gtid);
    return gtid;
  }
}
