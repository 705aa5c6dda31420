/**
 * Linear storage of conversations, as pure functions: what a turn that continues
 * `previous_response_id` keeps (only its own items and a reference to its parent), decided from
 * the parent's counts and digests, and how a turn's whole input and messages are rebuilt from
 * the rows of its chain. The SQL that reads and writes chains is in chain-sql.ts.
 *
 * A turn's whole input is its parent's whole input, then the parent's output, then its own new
 * items; its messages are its parent's messages, then its own. A row holds only its own part
 * when that prefix matched the parent exactly (item by item, as JSON), and says how many items
 * it inherits (`inputStart`, `messagesStart`).
 */
import { createHash, type Hash } from "node:crypto";
import { StorageError } from "../errors.js";

/**
 * The most links a row may be from the nearest row stored whole. A turn past it is stored whole
 * again, so that rebuilding reads at most this many rows (and MySQL's default recursion limit
 * of 1000 for `WITH RECURSIVE` holds).
 */
export const MAX_CHAIN_DEPTH = 999;

/** The linear-storage columns of a row, as written. */
export interface ChainColumns {
  parentId: string | null;
  depth: number;
  inputStart: number;
  inputCount: number;
  outputCount: number;
  messagesStart: number;
  /** Null when the row was stored without messages (imports): nothing continues them. */
  messagesCount: number | null;
  inputDigest: string;
  outputDigest: string;
  messagesDigest: string | null;
  inputIdsUnique: boolean;
  /** Bytes of the whole JSON a read returns. */
  fullBytes: number;
}

/** What a prefix check needs of the parent (null fields: a row stored before linear storage). */
export interface ParentFacts {
  id: string;
  depth: number;
  inputCount: number | null;
  outputCount: number | null;
  messagesCount: number | null;
  inputDigest: string | null;
  outputDigest: string | null;
  messagesDigest: string | null;
}

/** A turn's items, whole, as the caller gave them. */
export interface TurnItems {
  input: readonly unknown[];
  output: readonly unknown[];
  messages: readonly unknown[] | null | undefined;
}

/** A row to store: its own items and its chain columns. */
export interface ChainPlan {
  columns: ChainColumns;
  ownInput: unknown[];
  /** Undefined when the turn has no messages (the blob leaves the key out). */
  ownMessages: unknown[] | undefined;
}

const sha256 = () => createHash("sha256");

/** The JSON text of `items` without its brackets ("" for none). */
function inner(items: readonly unknown[]): string {
  return items.length ? JSON.stringify(items).slice(1, -1) : "";
}

/**
 * Digests of a list of items given in pieces: of every prefix that ends where a piece ends,
 * and of the whole, each as SHA-256 of the JSON array text, so a piece boundary is invisible.
 */
class PiecewiseDigest {
  readonly #hash: Hash = sha256().update("[");
  #empty = true;

  /** Appends the JSON text (without brackets) of some items. */
  add(text: string): this {
    if (!text) return this;
    if (!this.#empty) this.#hash.update(",");
    this.#hash.update(text);
    this.#empty = false;
    return this;
  }

  /** The digest of what was added so far (adding may go on). */
  peek(): string {
    return this.#hash.copy().update("]").digest("hex");
  }
}

/** SHA-256 of the JSON array text of `items`: the digest columns' definition. */
export function itemsDigest(items: readonly unknown[]): string {
  return itemsDigestOfText(inner(items));
}

function itemsDigestOfText(text: string): string {
  return new PiecewiseDigest().add(text).peek();
}

/** True when no string item id occurs twice in `items` (a page cursor then has one match). */
function idsUnique(items: readonly unknown[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== "string") continue;
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/**
 * Decides how a turn is stored: when `parent` (readable by the writer, locked) holds exactly
 * the first items of the turn's input (its input then its output) or of its messages, only the
 * rest is kept; otherwise the turn is kept whole. `blobBytes` gives the byte size of the
 * stored JSON for the own items chosen, so `fullBytes` can be counted without serialising the
 * whole turn again.
 */
export function planTurn(items: TurnItems, parent: ParentFacts | undefined, blobBytes: (plan: Omit<ChainPlan, "columns">) => number): ChainPlan {
  const { input, output } = items;
  const messages = items.messages ?? undefined;
  let inputStart = 0;
  let messagesStart = 0;
  const linkable = parent !== undefined && parent.depth < MAX_CHAIN_DEPTH;

  // Input: [parent input | parent output | rest], each piece serialised once; the digest of
  // the whole is the same whichever pieces it was fed in.
  const wholeInput = new PiecewiseDigest();
  let inherited = 0; // bytes of inherited input and messages text
  const pInput = parent?.inputCount ?? null;
  const pOutput = parent?.outputCount ?? null;
  let rest = 0;
  if (linkable && pInput !== null && pOutput !== null && parent.inputDigest && parent.outputDigest && input.length >= pInput + pOutput) {
    const first = inner(input.slice(0, pInput));
    const second = inner(input.slice(pInput, pInput + pOutput));
    if (wholeInput.add(first).peek() === parent.inputDigest && itemsDigestOfText(second) === parent.outputDigest) {
      inputStart = pInput + pOutput;
      inherited += Buffer.byteLength(first) + Buffer.byteLength(second) + (first && second ? 1 : 0);
    }
    wholeInput.add(second);
    rest = pInput + pOutput;
  }
  wholeInput.add(inner(input.slice(rest)));
  const ownInput = input.slice(inputStart);
  return finish();

  function finish(): ChainPlan {
    let messagesDigest: string | null = null;
    if (messages !== undefined) {
      const pm = parent?.messagesCount ?? null;
      const digest = new PiecewiseDigest();
      if (linkable && pm !== null && pm > 0 && parent.messagesDigest && messages.length >= pm) {
        const first = inner(messages.slice(0, pm));
        digest.add(first);
        if (digest.peek() === parent.messagesDigest) {
          messagesStart = pm;
          inherited += Buffer.byteLength(first);
        }
        digest.add(inner(messages.slice(pm)));
      } else {
        digest.add(inner(messages));
      }
      messagesDigest = digest.peek();
    }
    const linked = inputStart > 0 || messagesStart > 0;
    const own = { ownInput, ownMessages: messages === undefined ? undefined : messages.slice(messagesStart) };
    // Whole JSON = stored JSON + inherited text (+ a comma where inherited and own items meet).
    const joins = (inputStart > 0 && ownInput.length ? 1 : 0) + (messagesStart > 0 && own.ownMessages?.length ? 1 : 0);
    return {
      ...own,
      columns: {
        parentId: linked ? parent!.id : null,
        depth: linked ? parent!.depth + 1 : 0,
        inputStart,
        inputCount: input.length,
        outputCount: output.length,
        messagesStart,
        messagesCount: messages === undefined ? null : messages.length,
        inputDigest: wholeInput.peek(),
        outputDigest: itemsDigest(output),
        messagesDigest,
        inputIdsUnique: idsUnique(input),
        fullBytes: blobBytes(own) + inherited + joins,
      },
    };
  }
}

/** A row of a chain as the walk returns it. */
export interface ChainRow {
  id: string;
  parentId: string | null;
  inputStart: number;
  messagesStart: number;
  blob: Record<string, unknown> & { input?: unknown[]; output?: unknown[]; messages?: unknown[] | null };
}

/** The error for a chain that cannot be rebuilt (a missing link, a cycle, counts that disagree). */
export function brokenChain(operation: string, id: string, why: string): StorageError {
  return new StorageError(operation, false, {
    cause: new Error(`the stored history of response ${id} cannot be rebuilt: ${why} (was openai_responses edited by hand?)`),
  });
}

/** The rows from `leaf` up to the first that holds its part whole, nearest first. */
function lineage(leaf: ChainRow, rows: ReadonlyMap<string, ChainRow>, linked: (row: ChainRow) => boolean, operation: string): ChainRow[] {
  const path = [leaf];
  for (let row = leaf; linked(row); ) {
    const parent = row.parentId === null ? undefined : rows.get(row.parentId);
    if (!parent) throw brokenChain(operation, leaf.id, `its ancestor ${row.parentId ?? "(none)"} is missing`);
    if (path.length > MAX_CHAIN_DEPTH + 1) throw brokenChain(operation, leaf.id, "its ancestors form a cycle or exceed the depth limit");
    path.push(parent);
    row = parent;
  }
  return path;
}

/**
 * The whole input of `leaf` from the rows of its chain; or, with `from`, the items from that
 * position on (the rows holding only earlier items need not have been read).
 */
export function rebuildInput(leaf: ChainRow, rows: ReadonlyMap<string, ChainRow>, operation: string, from = 0): unknown[] {
  const path = lineage(leaf, rows, (r) => r.inputStart > from, operation);
  const items: unknown[] = [];
  let position = path[path.length - 1]!.inputStart; // 0 unless the items before `from` were not read
  const push = (list: readonly unknown[] | undefined) => {
    for (const item of list ?? []) {
      if (position++ >= from) items.push(item);
    }
  };
  for (let i = path.length - 1; i >= 0; i--) {
    const row = path[i]!;
    if (i < path.length - 1) {
      const parent = path[i + 1]!;
      push(parent.blob.output);
      if (position !== row.inputStart) throw brokenChain(operation, leaf.id, `response ${row.id} continues ${row.inputStart} items, its parent holds ${position}`);
    }
    push(row.blob.input);
  }
  return items;
}

/** The whole chat messages of `leaf` (undefined when it was stored without them). */
export function rebuildMessages(leaf: ChainRow, rows: ReadonlyMap<string, ChainRow>, operation: string): unknown[] | null | undefined {
  const path = lineage(leaf, rows, (r) => r.messagesStart > 0, operation);
  if (path.length === 1) return leaf.blob.messages;
  const messages: unknown[] = [];
  for (let i = path.length - 1; i >= 0; i--) {
    const row = path[i]!;
    if (i < path.length - 1 && messages.length !== row.messagesStart) {
      throw brokenChain(operation, leaf.id, `response ${row.id} continues ${row.messagesStart} messages, its parent holds ${messages.length}`);
    }
    messages.push(...(row.blob.messages ?? []));
  }
  return messages;
}
