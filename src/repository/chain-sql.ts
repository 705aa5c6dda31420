/**
 * The SQL of linear storage: chain walks, parent locks, detaching children, deletes that keep needed turns.
 *
 * See chain.ts for the pure part. Here: walking turns' chains up to the rows that hold them whole
 * (one recursive query for any number of turns), reading and share-locking a parent's counts and
 * digests, storing whole the turns that build on a row before it changes, and deleting turns that
 * later turns still build on (kept, hidden, until the last of them goes).
 */
import type { Queryable } from "../db/client.js";
import type { Dialect, Recursion } from "../db/providers.js";
import type { RowCondition } from "../access/where.js";
import { inheritedOf, innerBytes, wholeRowFacts, type ChainFormat, type DigestMode, type ParentFacts } from "./chain.js";
import type { StoredParent } from "./chain-on-parent.js";
import { rebuildInput, rebuildMessages, type ChainRow } from "./chain-rebuild.js";
import { SqlParams, fromJson, intOrNull, statement, textOrNull, truthy } from "./sql.js";

/** The responses table as chain queries address it. */
export interface ChainTable extends ChainFormat {
  dialect: Dialect;
  /** How a chain walk lifts the server's bound on recursion. */
  recursion: Recursion;
  /** The table's name as SQL (schema-qualified where a schema is configured). */
  name: string;
  /** The response events' table, whose rows go with their response (undefined: none kept). */
  events?: string | undefined;
}

/** What chain statements need to know of the server beyond its dialect. */
export interface ServerTraits {
  /** How the digests of its rows are taken. */
  digests: DigestMode;
  /** How a walk lifts its bound on recursion. */
  recursion: Recursion;
}

/** The server's traits (see ServerTraits), asked of it once. */
export async function serverTraits(q: Queryable, dialect: Dialect): Promise<ServerTraits> {
  const version = await q.queryRaw({ sql: "SELECT VERSION()", args: [], argTypes: [] }).then(
    (r) => textOrNull(r.rows[0]?.[0]) ?? "",
    () => "",
  );
  return { digests: dialect.jsonKeepsText(version) ? "text" : "canonical", recursion: dialect.unboundedRecursion(version) };
}

/** Which ancestors a walk reads. */
export type Follow =
  /** Everything the whole input and messages of the anchors need. */
  | { kind: "all" }
  /** What the input needs from position `from` on (an input-items page reads no further). */
  | { kind: "input"; from: number }
  /** What the input's newest `size` items need (the anchor's count decides where they start). */
  | { kind: "newest"; size: number };

/** A list of values as placeholders. */
const list = (p: SqlParams, values: readonly string[]) => values.map((v) => p.value(v)).join(", ");

/** Our own non-negative integers, written into SQL text. */
function int(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a row count: ${n}`);
  return String(n);
}

/**
 * The rows of the chains of `anchors` (anchors included, each once), by id: one recursive
 * query. With `visible`, only anchors that are visible and not deleted start a walk; without,
 * any anchor does (parents of rows already read). Ancestors are read whatever their owner and
 * even when deleted: their items are part of the turns built on them.
 */
export async function walkChains(
  q: Queryable,
  t: ChainTable,
  anchors: readonly string[],
  follow: Follow,
  visible?: RowCondition,
): Promise<Map<string, ChainRow>> {
  return (await walk(q, t, anchors, follow, visible)).rows;
}

/**
 * The rows that hold the newest `size` input items of the visible row `id`, with its input count
 * and whether its item ids are unique (null: not known), in one statement. Undefined when the
 * row is not visible.
 */
export async function walkNewest(
  q: Queryable,
  t: ChainTable,
  id: string,
  size: number,
  visible: RowCondition,
): Promise<{ rows: Map<string, ChainRow>; count: number | null; unique: boolean | null } | undefined> {
  const { rows, anchor } = await walk(q, t, [id], { kind: "newest", size }, visible);
  return anchor && { rows, ...anchor };
}

/** walkChains(), with the first anchor's input count and id uniqueness. */
async function walk(
  q: Queryable,
  t: ChainTable,
  anchors: readonly string[],
  follow: Follow,
  visible?: RowCondition,
): Promise<{ rows: Map<string, ChainRow>; anchor?: { count: number | null; unique: boolean | null } }> {
  const rows = new Map<string, ChainRow>();
  if (!anchors.length) return { rows };
  const p = new SqlParams(t.dialect);
  const T = t.name;
  // The anchors, visible ones only where asked; found by primary key first where the dialect
  // says so (a planner without statistics may otherwise walk a whole owner index).
  const fenced = visible !== undefined && t.dialect.lookUpByKeyFirst;
  const A = fenced ? "r" : T;
  let anchored: string;
  if (fenced) {
    const columns = "id, parent_id, depth, input_start, messages_start, input_count, owner_principal, access_attributes, deleted_at";
    const byKey = `SELECT ${columns} FROM ${T} WHERE ${T}.id IN (${list(p, anchors)}) LIMIT ${int(anchors.length)}`;
    anchored = `(${byKey}) AS r WHERE ${p.live(visible, "r")}`;
  } else anchored = `${T} WHERE ${T}.id IN (${list(p, anchors)})${visible ? ` AND ${p.live(visible, T)}` : ""}`;
  // Where the input items a walk needs start, set by the anchor and carried up its chain.
  const from =
    follow.kind === "newest"
      ? `CASE WHEN ${A}.input_count > ${int(follow.size)} THEN ${A}.input_count - ${int(follow.size)} ELSE 0 END`
      : follow.kind === "input"
        ? int(follow.from)
        : "0";
  const next = follow.kind === "all" ? "(c.input_start > 0 OR c.messages_start > 0)" : "c.input_start > c.input_from";
  // Each step goes to a row of smaller depth (a turn's depth is its parent's plus one), so a walk
  // ends however long the chain, and a cycle someone wrote by hand ends it too. One chain: UNION
  // ALL, each row once by construction. Several chains may share ancestors: UNION keeps each row
  // once. The JSON is joined back afterwards: carried through the recursion it is copied at every
  // step, and PostgreSQL's json has no equality for UNION.
  const { before, hint } = t.recursion;
  const sql =
    `${before}WITH RECURSIVE chain (id, parent_id, depth, input_start, messages_start, input_from) AS (` +
    `SELECT ${A}.id, ${A}.parent_id, ${A}.depth, ${A}.input_start, ${A}.messages_start, ${from} FROM ${anchored} ` +
    `${anchors.length === 1 ? "UNION ALL" : "UNION"} SELECT pa.id, pa.parent_id, pa.depth, pa.input_start, pa.messages_start, c.input_from ` +
    `FROM ${T} pa JOIN chain c ON pa.id = c.parent_id ` +
    `WHERE ${next} AND pa.depth < c.depth) ` +
    `SELECT ${hint}c.id, c.parent_id, c.input_start, c.messages_start, ${T}.response_object, ${T}.input_count, ${T}.input_ids_unique ` +
    `FROM chain c JOIN ${T} ON ${T}.id = c.id`;
  const result = await q.queryRaw(p.query(sql));
  let anchor: { count: number | null; unique: boolean | null } | undefined;
  for (const r of result.rows) {
    const id = String(r[0]);
    rows.set(id, {
      id,
      parentId: textOrNull(r[1]),
      inputStart: Number(r[2]),
      messagesStart: Number(r[3]),
      blob: fromJson(r[4]) as ChainRow["blob"],
    });
    if (id === anchors[0]) anchor = { count: intOrNull(r[5]), unique: r[6] === null || r[6] === undefined ? null : truthy(r[6]) };
  }
  return { rows, ...(anchor && { anchor }) };
}

/** A row's blob with its whole input and messages, rebuilt from its chain's rows. */
export function wholeBlob(row: ChainRow, rows: ReadonlyMap<string, ChainRow>, operation: string): ChainRow["blob"] {
  if (row.inputStart === 0 && row.messagesStart === 0) return row.blob;
  const messages = rebuildMessages(row, rows, operation);
  return { ...row.blob, input: rebuildInput(row, rows, operation), ...(messages === undefined ? {} : { messages }) };
}

/**
 * The counts and digests of the parent a new turn names, when the writer may read it and it is
 * not deleted; share-locked so that it cannot change or go before the turn commits.
 */
export async function lockParent(q: Queryable, t: ChainTable, id: string, readable: RowCondition): Promise<ParentFacts | undefined> {
  const p = new SqlParams(t.dialect);
  const T = t.name;
  // A row stored whole has no digests yet: its JSON (its whole history) comes along instead.
  const result = await q.queryRaw(
    p.query(
      `SELECT depth, input_count, output_count, messages_count, history_digest, messages_digest, ` +
        `CASE WHEN ${T}.history_digest IS NULL AND ${T}.input_start = 0 AND ${T}.messages_start = 0 ` +
        `THEN ${T}.response_object END, CASE WHEN ${T}.input_start > 0 OR ${T}.messages_start > 0 THEN 1 ELSE 0 END FROM ${T} ` +
        `WHERE ${T}.id = ${p.value(id)} AND ${p.live(readable, T)}${t.dialect.lockShared}`,
    ),
  );
  const r = result.rows[0];
  if (!r) return undefined;
  if (r[6] !== null && r[6] !== undefined) return wholeRowFacts(id, fromJson(r[6]) as Record<string, unknown>, t.digests);
  if (r[4] === null && truthy(r[7])) {
    // A turn stored on its parent without its history (storeTurn on another instance): its
    // digests are taken from its chain, read under the lock this statement took.
    const rows = await walkChains(q, t, [id], { kind: "all" });
    const row = rows.get(id);
    if (!row) return undefined;
    return { ...wholeRowFacts(id, wholeBlob(row, rows, "storeResponseObject"), t.digests), depth: Number(r[0]) };
  }
  return {
    id,
    depth: Number(r[0]),
    inputCount: intOrNull(r[1]),
    outputCount: intOrNull(r[2]),
    messagesCount: intOrNull(r[3]),
    historyDigest: textOrNull(r[4]),
    messagesDigest: textOrNull(r[5]),
  };
}

/**
 * The parent a turn stored without its history continues (see planOnStoredParent), when the
 * writer may read it and it is not deleted: one row, not its chain. Undefined too for a row
 * stored before linear storage (no counts), which a turn is built on the ordinary way.
 */
export async function readStoredParent(q: Queryable, t: ChainTable, id: string, readable: RowCondition): Promise<StoredParent | undefined> {
  const p = new SqlParams(t.dialect);
  const T = t.name;
  const result = await q.queryRaw(
    p.query(
      `SELECT depth, input_count, output_count, messages_count, history_digest, messages_digest, full_bytes, ` +
        `input_start, messages_start, response_object FROM ${T} WHERE ${T}.id = ${p.value(id)} AND ${p.live(readable, T)}`,
    ),
  );
  const r = result.rows[0];
  const inputCount = intOrNull(r?.[1]);
  const outputCount = intOrNull(r?.[2]);
  if (!r || inputCount === null || outputCount === null) return undefined;
  const fullBytes = intOrNull(r[6]);
  const whole = Number(r[7]) === 0 && Number(r[8]) === 0;
  if (!whole && fullBytes === null) return undefined;
  const { input, messages, ...rest } = fromJson(r[9]) as ChainRow["blob"];
  const output = innerBytes(rest.output);
  return {
    facts: {
      id,
      depth: Number(r[0]),
      inputCount,
      outputCount,
      messagesCount: intOrNull(r[3]),
      historyDigest: textOrNull(r[4]),
      messagesDigest: textOrNull(r[5]),
    },
    whole,
    fullBytes,
    // A row stored whole holds its whole lists; a linked one's full_bytes counts them.
    inheritedBytes: whole
      ? innerBytes(input) + innerBytes(messages) + output + (inputCount > 0 && outputCount > 0 ? 1 : 0)
      : inheritedOf(fullBytes!, JSON.stringify(rest).slice(1, -1), messages != null, output, inputCount, outputCount),
  };
}

/**
 * Stores whole every turn that builds on one of `ids` (their reads do not change), so that
 * those rows may be replaced. Returns how many turns it rewrote.
 */
export async function detachChildren(q: Queryable, t: ChainTable, ids: readonly string[], operation: string): Promise<number> {
  if (!ids.length) return 0;
  const found = await q.queryRaw(
    statement(t.dialect, (p) => `SELECT id FROM ${t.name} WHERE parent_id IN (${list(p, ids)})${t.dialect.lockRow}`),
  );
  const children = found.rows.map((r) => String(r[0]));
  if (!children.length) return 0;
  const rows = await walkChains(q, t, children, { kind: "all" });
  for (const id of children) {
    const row = rows.get(id)!;
    await q.executeRaw(
      statement(
        t.dialect,
        (p) =>
          `UPDATE ${t.name} SET response_object = ${p.value(JSON.stringify(wholeBlob(row, rows, operation)), "json")}, ` +
          `parent_id = NULL, depth = 0, ` +
          `input_start = 0, messages_start = 0 WHERE id = ${p.value(id)}`,
      ),
    );
  }
  return children.length;
}

/**
 * Deletes the live rows among `ids` that `where` (SQL on the table, or none) allows, in the
 * caller's transaction: a row later turns build on is only marked deleted (no caller sees it
 * again); the others go, and with them every deleted ancestor no remaining turn needs.
 * Returns the ids deleted (marked or gone).
 */
export async function deleteTurns(
  q: Queryable,
  t: ChainTable,
  ids: readonly string[],
  now: number,
  where?: (p: SqlParams) => string,
): Promise<string[]> {
  if (!ids.length) return [];
  const T = t.name;
  const locked = await q.queryRaw(
    statement(
      t.dialect,
      (p) =>
        `SELECT id, parent_id FROM ${T} WHERE ${T}.id IN (${list(p, ids)}) AND ${T}.deleted_at IS NULL` +
        `${where ? ` AND ${where(p)}` : ""}${t.dialect.lockRow}`,
    ),
  );
  const live = locked.rows.map((r) => ({ id: String(r[0]), parentId: textOrNull(r[1]) }));
  if (!live.length) return [];
  // Checked after the lock: a turn being stored on one of these rows holds a share lock on it
  // until it commits, so it is seen here.
  const children = await q.queryRaw(
    statement(
      t.dialect,
      (p) =>
        `SELECT parent_id FROM ${T} WHERE parent_id IN (${list(
          p,
          live.map((r) => r.id),
        )})${t.dialect.lockShared}`,
    ),
  );
  // A deleted response's events go with it (a turn kept for later turns is deleted to callers too).
  if (t.events) {
    const events = t.events;
    await q.executeRaw(
      statement(
        t.dialect,
        (p) =>
          `DELETE FROM ${events} WHERE response_id IN (${list(
            p,
            live.map((r) => r.id),
          )})`,
      ),
    );
  }
  const needed = new Set(children.rows.map((r) => String(r[0])));
  const kept = live.filter((r) => needed.has(r.id));
  const gone = live.filter((r) => !needed.has(r.id));
  if (kept.length) {
    await q.executeRaw(
      statement(
        t.dialect,
        (p) =>
          `UPDATE ${T} SET deleted_at = ${p.value(String(now), "bigint")} WHERE id IN (${list(
            p,
            kept.map((r) => r.id),
          )})`,
      ),
    );
  }
  if (gone.length) {
    await q.executeRaw(
      statement(
        t.dialect,
        (p) =>
          `DELETE FROM ${T} WHERE id IN (${list(
            p,
            gone.map((r) => r.id),
          )})`,
      ),
    );
    await collectUnneeded(
      q,
      t,
      gone.flatMap((r) => (r.parentId === null ? [] : [r.parentId])),
    );
  }
  return live.map((r) => r.id);
}

/** Deletes, level by level up the chains, the deleted rows among `candidates` that no row builds on any more. */
export async function collectUnneeded(q: Queryable, t: ChainTable, candidates: readonly string[]): Promise<void> {
  const T = t.name;
  let next = candidates;
  while (next.length) {
    const unneeded = await q.queryRaw(
      statement(
        t.dialect,
        (p) =>
          `SELECT id, parent_id FROM ${T} WHERE ${T}.id IN (${list(p, [...new Set(next)])}) AND ${T}.deleted_at IS NOT NULL ` +
          `AND NOT EXISTS (SELECT 1 FROM ${T} ch WHERE ch.parent_id = ${T}.id)${t.dialect.lockRow}`,
      ),
    );
    if (!unneeded.rows.length) return;
    await q.executeRaw(
      statement(
        t.dialect,
        (p) =>
          `DELETE FROM ${T} WHERE id IN (${list(
            p,
            unneeded.rows.map((r) => String(r[0])),
          )})`,
      ),
    );
    next = unneeded.rows.flatMap((r) => textOrNull(r[1]) ?? []);
  }
}

/** The parents the rows `ids` continue now (to collect once those rows change). */
export async function parentsOf(q: Queryable, t: ChainTable, ids: readonly string[]): Promise<string[]> {
  const p = new SqlParams(t.dialect);
  const found = await q.queryRaw(p.query(`SELECT parent_id FROM ${t.name} WHERE id IN (${list(p, ids)}) AND parent_id IS NOT NULL`));
  return found.rows.map((r) => String(r[0]));
}
