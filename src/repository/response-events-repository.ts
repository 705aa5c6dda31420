/**
 * The only code that queries `response_events`: a response's streaming events, appended in order under its row lock, read after a sequence number.
 *
 * An append locks the response's row (so appends to one response, from any instance, run one at
 * a time), checks that the events continue the stored ones without a gap or a repeat, and inserts
 * them in one statement; on PostgreSQL it also sends a NOTIFY, delivered at commit, that wakes the
 * followers of that response.
 */
import type { Db } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import { runStorage } from "../db/transient.js";
import type { RowCondition } from "../access/where.js";
import { AccessDeniedError, ResponseNotFoundError, ValidationError } from "../errors.js";
import type { ResponseStreamEvent } from "../types.js";
import { SqlParams, fromJson, statement, truthy } from "./sql.js";

/** Most events one response keeps: a stream longer than this is refused past it (a ValidationError). */
const MAX_EVENTS_PER_RESPONSE = 100_000;

/** The PostgreSQL channel an append notifies: its payload is the response id. */
export const EVENTS_CHANNEL = "openai_responses_store_events";

/** The tables the events repository addresses (SQL names, schema-qualified where configured). */
export interface EventTables {
  events: string;
  responses: string;
}

/** A response's events through one connection. */
export class ResponseEventsRepository {
  readonly #db: Db;
  readonly #dialect: Dialect;
  readonly #t: EventTables;

  constructor(db: Db, dialect: Dialect, tables: EventTables) {
    this.#db = db;
    this.#dialect = dialect;
    this.#t = tables;
  }

  /** The same repository over `db` (a call's bounded view of the connection). */
  on(db: Db): ResponseEventsRepository {
    return new ResponseEventsRepository(db, this.#dialect, this.#t);
  }

  /**
   * Appends `events` (validated, in order) to the live response `id` that `readable` shows and
   * `writable` lets the caller change, in one transaction under the response's row lock: they must
   * start right after the stored ones (any number for the first) and run on by one. Returns the
   * last sequence number stored.
   *
   * @throws ResponseNotFoundError, AccessDeniedError, ValidationError (a gap, a repeat, too many)
   */
  append(id: string, events: readonly ResponseStreamEvent[], readable: RowCondition, writable: RowCondition, now: number): Promise<number> {
    const { events: E, responses: R } = this.#t;
    return runStorage("appendResponseEvents", () =>
      this.#db.transaction(async (tx) => {
        const p = new SqlParams(this.#dialect);
        const found = await tx.queryRaw(
          p.query(
            `SELECT (${p.condition(writable, R)}) AS ok FROM ${R} WHERE id = ${p.value(id)} AND ${p.live(readable, R)}${this.#dialect.lockRow}`,
          ),
        );
        const row = found.rows[0];
        if (!row) throw new ResponseNotFoundError(id);
        if (!truthy(row[0])) throw new AccessDeniedError("update", id);
        const stored = await tx.queryRaw(
          statement(this.#dialect, (q) => `SELECT MAX(sequence_number), COUNT(*) FROM ${E} WHERE response_id = ${q.value(id)}`),
        );
        const last = stored.rows[0]?.[0] == null ? undefined : Number(stored.rows[0][0]);
        const count = Number(stored.rows[0]?.[1] ?? 0);
        checkContinues(events, last);
        if (count + events.length > MAX_EVENTS_PER_RESPONSE) {
          throw new ValidationError("events", [
            {
              path: [],
              message: `A response keeps at most ${MAX_EVENTS_PER_RESPONSE} events; ${count} are stored and ${events.length} were given`,
            },
          ]);
        }
        await tx.executeRaw(
          statement(
            this.#dialect,
            (q) =>
              `INSERT INTO ${E} (response_id, sequence_number, event, created_at) VALUES ` +
              events
                .map(
                  (e) =>
                    `(${q.value(id)}, ${q.value(e.sequence_number, "int")}, ${q.value(JSON.stringify(e), "json")}, ${q.value(String(now), "bigint")})`,
                )
                .join(", "),
          ),
        );
        const notifications = this.#dialect.notifications;
        if (notifications) await tx.queryRaw(statement(this.#dialect, (q) => notifications.notify(q, EVENTS_CHANNEL, id)));
        return events.at(-1)!.sequence_number;
      }),
    );
  }

  /**
   * Up to `limit` stored events of `id` after sequence number `after` (-1: from the first), in
   * order, with the response's status and whether it is still there (live and readable).
   */
  async after(
    id: string,
    after: number,
    limit: number,
    readable: RowCondition,
  ): Promise<{ events: ResponseStreamEvent[]; status: string | null; exists: boolean }> {
    const { events: E, responses: R } = this.#t;
    return runStorage("responseEvents", async () => {
      // One statement (a follower polls with it): the response's row, with its events after `after` joined on.
      const p = new SqlParams(this.#dialect);
      const result = await this.#db.queryRaw(
        p.query(
          `SELECT ${R}.status, ${E}.event FROM ${R} LEFT JOIN ${E} ON ${E}.response_id = ${R}.id ` +
            `AND ${E}.sequence_number > ${p.value(after, "int")} WHERE ${R}.id = ${p.value(id)} AND ${p.live(readable, R)} ` +
            `ORDER BY ${E}.sequence_number LIMIT ${limit}`,
        ),
      );
      const first = result.rows[0];
      if (!first) return { events: [], status: null, exists: false };
      return {
        events: result.rows.filter((r) => r[1] != null).map((r) => fromJson(r[1]) as ResponseStreamEvent),
        status: typeof first[0] === "string" ? first[0] : null,
        exists: true,
      };
    });
  }
}

/** Throws a ValidationError unless `events` run on by one from right after `last` (any start when nothing is stored). */
function checkContinues(events: readonly ResponseStreamEvent[], last: number | undefined): void {
  let expected = last === undefined ? events[0]!.sequence_number : last + 1;
  for (const [i, e] of events.entries()) {
    if (e.sequence_number !== expected) {
      const what = e.sequence_number < expected ? "repeats one already stored or given" : "leaves a gap";
      throw new ValidationError("events", [
        { path: [i, "sequence_number"], message: `${e.sequence_number} ${what}: expected ${expected}` },
      ]);
    }
    expected++;
  }
}
