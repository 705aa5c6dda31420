/**
 * The only code that queries `store_leases`: a job that runs on one instance at a time holds a named lease until it expires.
 *
 * Taking and renewing are one conditional statement each (an UPDATE that matches only a lease
 * that is the caller's or has expired, else an INSERT that fails when another holds it), the same
 * on every engine. Times are the callers' clocks in unix milliseconds: instances must agree on the
 * time to well within a lease.
 */
import type { Db } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { isUniqueViolation, runStorage } from "../db/transient.js";
import { statement } from "./sql.js";

/** Leases through one connection. */
export class LeasesRepository {
  readonly #db: Db;
  readonly #dialect: Dialect;
  readonly #name: string;

  /** `name`: the table's SQL name (schema-qualified where configured). */
  constructor(db: Db, dialect: Dialect, name = "store_leases") {
    this.#db = db;
    this.#dialect = dialect;
    this.#name = name;
  }

  /** The same repository over `db` (a call's bounded view of the connection). */
  on(db: Db): LeasesRepository {
    return new LeasesRepository(db, this.#dialect, this.#name);
  }

  /**
   * Takes or renews the lease `lease` for `holder` until `now + ttlMs`, when it is free, expired
   * or `holder`'s already; says whether `holder` now holds it.
   */
  hold(lease: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const T = this.#name;
    const until = String(now + ttlMs);
    return runStorage("lease", async () => {
      const renewed = await this.#db.executeRaw(
        statement(
          this.#dialect,
          (p) =>
            `UPDATE ${T} SET holder = ${p.value(holder)}, expires_at = ${p.value(until, "bigint")} ` +
            `WHERE name = ${p.value(lease)} AND (holder = ${p.value(holder)} OR expires_at < ${p.value(String(now), "bigint")})`,
        ),
      );
      if (renewed > 0) return true;
      try {
        await this.#db.executeRaw(
          statement(
            this.#dialect,
            (p) =>
              `INSERT INTO ${T} (name, holder, expires_at) VALUES (${p.value(lease)}, ${p.value(holder)}, ${p.value(until, "bigint")})`,
          ),
        );
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false; // another instance holds it
        throw error;
      }
    });
  }

  /** Gives the lease up if `holder` holds it, so that another instance may take it at once. */
  async release(lease: string, holder: string): Promise<void> {
    await runStorage("lease", () =>
      this.#db.executeRaw(
        statement(this.#dialect, (p) => `DELETE FROM ${this.#name} WHERE name = ${p.value(lease)} AND holder = ${p.value(holder)}`),
      ),
    );
  }
}
