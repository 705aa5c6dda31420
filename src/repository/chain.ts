/**
 * Linear storage of conversations as pure functions: what a turn keeps.
 *
 * Linear storage of conversations, as pure functions: what a turn that continues
 * `previous_response_id` keeps (only its own items and a reference to its parent), decided from
 * the parent's counts and digests. How a turn's whole input and messages are rebuilt from the
 * rows of its chain is in chain-rebuild.ts; a turn planned on its parent's row rather than its
 * history, in chain-on-parent.ts; the SQL that reads and writes chains, in chain-sql.ts.
 *
 * A turn's whole input is its parent's whole input, then the parent's output, then its own new
 * items; its messages are its parent's messages, then its own. A row holds only its own part when
 * that prefix matched the parent exactly (item by item, as JSON), and says how many items it
 * inherits (`inputStart`, `messagesStart`).
 */
import { createHash, hash, type Hash } from "node:crypto";
import { withReferences } from "./message-references.js";

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
  /**
   * SHA-256 of the JSON array text of the input followed by the output, and of the messages;
   * null on a row stored whole (computed from its JSON when a turn continues it).
   */
  historyDigest: string | null;
  messagesDigest: string | null;
  /** Null when not known (a turn stored on a parent this process does not remember). */
  inputIdsUnique: boolean | null;
  /** Bytes of the whole JSON a read returns. */
  fullBytes: number;
  /**
   * Bytes of the JSON text (without brackets) of what a turn continuing the row inherits: its
   * whole input followed by its output, and its whole messages (StoredParent.inheritedBytes).
   */
  inheritedBytes: number;
}

/** What a prefix check needs of the parent (null fields: a row stored before linear storage). */
export interface ParentFacts {
  id: string;
  depth: number;
  inputCount: number | null;
  outputCount: number | null;
  messagesCount: number | null;
  historyDigest: string | null;
  messagesDigest: string | null;
}

/**
 * A list of items as planning reads it: its length, its items by position and its slices. An
 * array, or a remembered history continued by a turn's new items without copying it.
 */
export type ItemList = Pick<readonly unknown[], "length" | "at" | "slice">;

/** A turn's items, whole, as the caller gave them. */
export interface TurnItems {
  input: ItemList;
  output: readonly unknown[];
  messages: ItemList | null | undefined;
}

/** A row to store: its stored JSON (own items only when it continues its parent) and its chain columns. */
export interface ChainPlan {
  columns: ChainColumns;
  json: string;
  /** Set when the turn is linked: its whole lists' digest states, for remembering it. */
  continuation: PlannedHistory | undefined;
}

/** SHA-256 (hex) of a JSON text: the digest columns hold it for each list's JSON array text. */
const sha256 = (text: string) => hash("sha256", text);

/** The JSON array text of `items`, and its inner part (without the brackets; "" for none). */
export function serialise(items: readonly unknown[]): { text: string; inner: string } {
  const text = JSON.stringify(items);
  return { text, inner: text.slice(1, -1) };
}

/**
 * How item lists are digested: over the JSON text the store writes (`text`, where the database
 * returns JSON as written), or over JSON with object keys sorted (`canonical`, where it does
 * not: MySQL 8), so that items read back from storage and items a caller gives agree.
 */
export type DigestMode = "text" | "canonical";

/** How a table's rows are written: how digests are taken, and whether messages may be references. */
export interface ChainFormat {
  digests: DigestMode;
  /**
   * Whether a linked row stores a message that repeats its own input item or its parent's
   * output item as a reference to it (message-references.ts). Off for a fleet with instances of
   * a release that cannot read references.
   */
  messageReferences: boolean;
}

/** Sorts object keys, for `canonical` digests. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key];
  return sorted;
}

/** The inner part of the JSON text a digest covers for `items` (`inner`: their stored text's). */
function digestInner(mode: DigestMode, items: readonly unknown[], inner: string): string {
  return mode === "text" ? inner : JSON.stringify(items, sortedKeys).slice(1, -1);
}

/** The JSON array text of pieces given by their inner parts. */
const joined = (...inners: string[]) => `[${inners.filter(Boolean).join(",")}]`;

/**
 * The JSON a row stores: the response's own fields (`fields`, without braces), then its own input
 * and (unless undefined) its own messages, each given as inner text. Sizes are reckoned from it.
 */
export function rowJson(fields: string, input: string, messages: string | undefined): string {
  return `{${fields}${fields ? "," : ""}"input":[${input}]${messages === undefined ? "" : `,"messages":[${messages}]`}}`;
}

/**
 * SHA-256 of a JSON array text fed in pieces (inner parts), read after any piece: the digest
 * of a prefix and of the whole for the price of hashing the whole once. `fork()` carries a
 * state on without changing it (a remembered history, continued by the next turn).
 */
class ArrayDigest {
  readonly #hash: Hash;
  #empty: boolean;

  constructor(from?: { hash: Hash; empty: boolean }) {
    this.#hash = from ? from.hash : createHash("sha256").update("[");
    this.#empty = from ? from.empty : true;
  }

  add(inner: string): this {
    if (!inner) return this;
    this.#hash.update(this.#empty ? inner : `,${inner}`);
    this.#empty = false;
    return this;
  }

  /** The digest of the pieces so far. */
  peek(): string {
    return this.#hash.copy().update("]").digest("hex");
  }

  /** An independent copy of this state. */
  fork(): ArrayDigest {
    return new ArrayDigest({ hash: this.#hash.copy(), empty: this.#empty });
  }
}

/** The string item ids of a list, and whether none repeats: what a list continuing it checks new ids against. */
export interface ListIds {
  unique: boolean;
  seen: Set<string>;
  /** Set once a longer list took this set over (and went on adding to it). */
  taken: boolean;
}

/** The method by which a remembered copy of an item (not a plain object) answers its `id`. */
export const ITEM_ID: unique symbol = Symbol("itemId");

/** The string id of an item (a plain object, or a remembered copy answering ITEM_ID). */
export function itemId(item: unknown): string | undefined {
  if (item === null || typeof item !== "object") return undefined;
  const id = ITEM_ID in item ? (item as { [ITEM_ID](): unknown })[ITEM_ID]() : (item as { id?: unknown }).id;
  return typeof id === "string" ? id : undefined;
}

/**
 * Whether no string item id occurs twice in `items`, from a remembered prefix's ids when one
 * covers their first items (then only the items after it are looked at).
 */
function inputIdsUnique(items: ItemList, prefix: RememberedPrefix | undefined): boolean {
  const known = prefix?.ids;
  if (!prefix || !known) return idsUnique(items);
  if (!known.unique) return false;
  const fresh = new Set<string>();
  for (let i = prefix.count; i < items.length; i++) {
    const id = itemId(items.at(i));
    if (id === undefined) continue;
    if (known.seen.has(id) || fresh.has(id)) return false;
    fresh.add(id);
  }
  return true;
}

/** True when no string item id occurs twice in `items` (a page cursor then has one match). */
function idsUnique(items: ItemList): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const id = itemId(items.at(i));
    if (id === undefined) continue;
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/**
 * A list's first items whose digest and text size are already known (a history this process
 * remembers, which the caller's list was found to start with, item for item): a prefix check
 * against a parent with that digest then reads only the items after them.
 */
export interface RememberedPrefix {
  /** How many items it covers. */
  count: number;
  /** The digest column value of exactly these items. */
  digest: string;
  /** The digest state after them (forked, never changed). */
  state: ArrayDigest;
  /** Bytes of their JSON text, without brackets. */
  bytes: number;
  /** Their string ids (a history's: what the next turn's input starts with). */
  ids?: ListIds | undefined;
  /**
   * New objects equal to the items from `from` to `to` as they were remembered, for plans that
   * serialise them after all (the caller's own objects may have changed since the call).
   */
  copies?(from: number, to: number): unknown[];
}

/** A list as planned: the items a row keeps and what the rest of the plan needs of it. */
interface ListPlan {
  /** Items inherited from the parent (0: the row keeps the whole list). */
  start: number;
  /** The JSON text (without brackets) of the items the row keeps, and those items. */
  ownInner: string;
  ownItems: readonly unknown[];
  /** Bytes of the inherited items' text, with the comma that joins them to the row's own. */
  inherited: number;
  /** The digest state after the whole list, where it was computed on the way. */
  state: ArrayDigest | undefined;
  /** Bytes of the whole list's text without brackets (undefined: not computed). */
  bytes: number | undefined;
}

/**
 * Plans one list of a turn against the parent's `count` first items, whose digest is `digest`:
 * linked when the list starts with exactly those items. A `remembered` prefix of the same digest
 * and count stands in for serialising and hashing them again.
 */
function planList(
  items: ItemList,
  mode: DigestMode,
  count: number,
  digest: string | null,
  remembered: RememberedPrefix | undefined,
): ListPlan {
  // Items from `from` to `to` as the caller gave them at the call: the remembered prefix from its
  // own copies (the caller keeps its objects, and may change them after the call), the rest as given.
  const asCalled = (from: number, to: number): readonly unknown[] => {
    const known = remembered?.copies ? Math.min(remembered.count, to) : 0;
    if (from >= known) return items.slice(from, to);
    return [...remembered!.copies!(from, known), ...items.slice(known, to)];
  };
  if (digest === null || count < 0 || items.length < count) {
    const all = asCalled(0, items.length);
    return { start: 0, ownInner: serialise(all).inner, ownItems: all, inherited: 0, state: undefined, bytes: undefined };
  }
  const ownItems = asCalled(count, items.length);
  const own = serialise(ownItems).inner;
  const ownBytes = () => Buffer.byteLength(own);
  if (remembered && remembered.count === count && remembered.digest === digest) {
    const inherited = remembered.bytes + (remembered.bytes && own ? 1 : 0);
    return {
      start: count,
      ownInner: own,
      ownItems,
      inherited,
      state: remembered.state.fork().add(digestInner(mode, ownItems, own)),
      bytes: inherited + ownBytes(),
    };
  }
  const headItems = asCalled(0, count);
  const head = serialise(headItems).inner;
  const state = new ArrayDigest().add(digestInner(mode, headItems, head));
  const matched = state.peek() === digest;
  state.add(digestInner(mode, ownItems, own));
  const joinedInner = head && own ? `${head},${own}` : head || own;
  if (!matched) return { start: 0, ownInner: joinedInner, ownItems: [...headItems, ...ownItems], inherited: 0, state, bytes: undefined };
  const inherited = Buffer.byteLength(head) + (head && own ? 1 : 0);
  return { start: count, ownInner: own, ownItems, inherited, state, bytes: inherited + ownBytes() };
}

/** The digest state and text size of a linked turn's whole lists: what remembering it needs. */
export interface PlannedHistory {
  /** After the input, then the output. */
  history: { state: ArrayDigest; bytes: number };
  /** After the messages (null: stored without messages). */
  messages: { state: ArrayDigest; bytes: number } | null;
}

/**
 * Decides how a turn is stored: when `parent` (readable by the writer, locked) holds exactly
 * the first items of the turn's input (its input then its output) or of its messages, only the
 * rest is kept; otherwise the turn is kept whole. `restJson` is the JSON of the response object
 * without `input` and `messages`; the stored JSON is it with the own items added, each list
 * serialised once. `remembered` prefixes (of the input, of the messages) skip the work for the items
 * they cover when their digest is the parent's.
 */
export function planTurn(
  items: TurnItems,
  parent: ParentFacts | undefined,
  restJson: string,
  format: ChainFormat | DigestMode = "text",
  remembered: { input?: RememberedPrefix | undefined; messages?: RememberedPrefix | undefined } = {},
): ChainPlan {
  const { digests: mode, messageReferences } = typeof format === "string" ? { digests: format, messageReferences: false } : format;
  const { input, output } = items;
  const messages = items.messages ?? undefined;
  // However long the chain: a turn is never stored whole again because it is deep.
  const linkable = parent !== undefined;
  // Input: [parent input | parent output | own]; the parent's digest covers the first two.
  const pInput = parent?.inputCount ?? null;
  const pOutput = parent?.outputCount ?? null;
  const k = pInput !== null && pOutput !== null ? pInput + pOutput : -1;
  const inputPlan = planList(input, mode, k, linkable ? parent.historyDigest : null, remembered.input);
  // Messages: [parent messages | own].
  const pm = parent?.messagesCount ?? 0;
  const messagesPlan =
    messages === undefined
      ? undefined
      : planList(messages, mode, pm, linkable && pm > 0 ? parent.messagesDigest : null, remembered.messages);

  const fields = restJson.slice(1, -1);
  // Messages that repeat the row's own input or its parent's output (inherited with the input)
  // as references to them; sizes count the messages as a read returns them.
  const referenced =
    messageReferences && messagesPlan && inputPlan.start > 0
      ? withReferences(messagesPlan.ownItems, inputPlan.ownItems, input.slice(k - pOutput!, k))
      : undefined;
  const storedMessages = referenced ? serialise(referenced).inner : messagesPlan?.ownInner;
  const json = rowJson(fields, inputPlan.ownInner, storedMessages);
  const linked = inputPlan.start > 0 || (messagesPlan?.start ?? 0) > 0;
  // A row stored whole gets its digests only when a turn continues it (wholeRowFacts(), from its
  // JSON): most never are, and hashing every store would cost every store.
  let continuation: PlannedHistory | undefined;
  if (linked) {
    // A list without a digest state is kept whole by the row: its own items are all of it.
    const whole = (plan: ListPlan) => ({
      state: plan.state ?? new ArrayDigest().add(digestInner(mode, plan.ownItems, plan.ownInner)),
      bytes: plan.bytes ?? Buffer.byteLength(plan.ownInner),
    });
    const inputSoFar = whole(inputPlan);
    const outputInner = serialise(output).inner;
    const historyState = inputSoFar.state.add(digestInner(mode, output, outputInner));
    const outputBytes = Buffer.byteLength(outputInner);
    continuation = {
      history: { state: historyState, bytes: inputSoFar.bytes + (inputSoFar.bytes && outputBytes ? 1 : 0) + outputBytes },
      messages: messagesPlan && messages ? whole(messagesPlan) : null,
    };
  }
  const unreferenced = referenced ? Buffer.byteLength(messagesPlan!.ownInner) - Buffer.byteLength(storedMessages!) : 0;
  const fullBytes = Buffer.byteLength(json) + unreferenced + inputPlan.inherited + (messagesPlan?.inherited ?? 0);
  return {
    json,
    continuation,
    columns: {
      parentId: linked ? parent!.id : null,
      depth: linked ? parent!.depth + 1 : 0,
      inputStart: inputPlan.start,
      inputCount: input.length,
      outputCount: output.length,
      messagesStart: messagesPlan?.start ?? 0,
      messagesCount: messages === undefined ? null : messages.length,
      historyDigest: continuation ? continuation.history.state.peek() : null,
      messagesDigest: continuation?.messages ? continuation.messages.state.peek() : null,
      inputIdsUnique: inputIdsUnique(input, remembered.input),
      fullBytes,
      inheritedBytes: inheritedOf(fullBytes, fields, messages !== undefined, innerBytes(output), input.length, output.length),
    },
  };
}

/** Bytes of the JSON text of `items` without its brackets. */
export function innerBytes(items: readonly unknown[] | null | undefined): number {
  return items?.length ? Buffer.byteLength(JSON.stringify(items)) - 2 : 0;
}

/**
 * What a turn continuing a linked row inherits, in bytes (StoredParent.inheritedBytes): its whole
 * lists (what `fullBytes` counts beyond the row's JSON without its items: `fields`, the response's
 * own, and whether it keeps messages) and its output, joined to the input by a comma where both are there.
 */
export function inheritedOf(
  fullBytes: number,
  fields: string,
  withMessages: boolean,
  outputBytes: number,
  inputCount: number,
  outputCount: number,
): number {
  const skeleton = Buffer.byteLength(rowJson(fields, "", withMessages ? "" : undefined));
  return fullBytes - skeleton + outputBytes + (inputCount > 0 && outputCount > 0 ? 1 : 0);
}

/**
 * What a prefix check needs of a row stored whole (its JSON holds its whole input, output and
 * messages), for rows whose digests were not computed when they were stored.
 */
export function wholeRowFacts(id: string, blob: Record<string, unknown>, mode: DigestMode = "text"): ParentFacts {
  const input = Array.isArray(blob.input) ? blob.input : [];
  const output = Array.isArray(blob.output) ? blob.output : [];
  const messages = Array.isArray(blob.messages) ? blob.messages : null;
  const inner = (items: unknown[]) => digestInner(mode, items, mode === "text" ? serialise(items).inner : "");
  return {
    id,
    depth: 0,
    inputCount: input.length,
    outputCount: output.length,
    messagesCount: messages?.length ?? null,
    historyDigest: sha256(joined(inner(input), inner(output))),
    messagesDigest: messages ? sha256(`[${inner(messages)}]`) : null,
  };
}
