/**
 * Remembered turns: the newest turn of recent conversations, kept in memory with its whole history.
 *
 * The turns this process stored last, remembered with their whole history, so that the next turn
 * of a conversation is checked against its parent without serialising and hashing that history
 * again. A caller hands over the whole input and messages on every turn: at turn 1,000 that is
 * megabytes of JSON that the prefix check would otherwise turn into text and hash (most of a
 * store's time). Against a remembered parent the check is an item-by-item comparison of the
 * caller's objects with a private copy, and only the new items are serialised, hashed and
 * validated.
 *
 * Nothing here is trusted over the database: a remembered prefix is used only when the parent row,
 * read and share-locked in the write's transaction, has the same digest (the same content), so
 * another instance's writes, deletes and rolled-back transactions cannot make a turn keep what its
 * parent does not hold. A turn is remembered with its writer's owner columns and used only for the
 * same owner.
 */
import { ITEM_ID, itemId, type ItemList, type ListIds, type ParentFacts, type PlannedHistory, type RememberedPrefix } from "./chain.js";

/** A list of a remembered turn: a private copy of its items, and its remembered prefix facts. */
export interface RememberedList extends RememberedPrefix {
  /**
   * snapshot()s of the items: compared with, never handed out. Its first `count` are the list's:
   * the array is shared with the turns that continue it (see grown()), which add theirs after.
   */
  items: readonly unknown[];
  /** New objects equal to the items from `from` to `to` as they were remembered. */
  copies(from: number, to: number): unknown[];
}

/** The `copies` of a RememberedList over `items` (snapshots). */
const copiesOf =
  (items: readonly unknown[]) =>
  (from: number, to: number): unknown[] =>
    items.slice(from, to).map(thaw);

/**
 * The first `count` items of `items` followed by `more`, without copying the first ones when no
 * other list went on from `count` yet: then `more` are added to `items` itself, and the array is
 * shared (each list that shares it reads only its own first items, which never change).
 */
function grown(items: readonly unknown[], count: number, more: readonly unknown[]): readonly unknown[] {
  if (items.length !== count) return items.slice(0, count).concat(more);
  const shared = items as unknown[];
  for (const item of more) shared.push(item);
  return shared;
}

/**
 * A remembered list followed by a turn's own items, as planning reads a turn's whole list
 * (storeTurn): its items by position and its slices, without copying the remembered ones.
 */
export class ContinuedList implements ItemList {
  readonly #base: RememberedList;
  readonly #own: readonly unknown[];

  constructor(base: RememberedList, own: readonly unknown[]) {
    this.#base = base;
    this.#own = own;
  }

  get length(): number {
    return this.#base.count + this.#own.length;
  }

  at(index: number): unknown {
    const i = index < 0 ? index + this.length : index;
    const n = this.#base.count;
    return i < n ? this.#base.items[i] : this.#own[i - n];
  }

  /** Items from `from` to `to` (non-negative, as planning asks): the remembered ones as their copies. */
  slice(from = 0, to = this.length): unknown[] {
    const n = this.#base.count;
    const end = Math.min(to, this.length);
    if (from >= n) return this.#own.slice(from - n, end - n);
    return [...this.#base.copies(from, Math.min(end, n)), ...this.#own.slice(0, Math.max(0, end - n))];
  }
}

/** A remembered turn: its whole input followed by its output, and its messages. */
export interface RememberedTurn {
  id: string;
  /** The owner columns it was stored with (owner principal and attributes, as one key). */
  owner: string;
  /** Its depth column as stored. */
  depth: number;
  history: RememberedList;
  /** How many of the history's items were validated as input items (the rest as output). */
  inputCount: number;
  messages: RememberedList | null;
}

/** What a caller's lists were found to start with, for a store of the turn after `turn`. */
export interface MatchedPrefix {
  input?: RememberedList | undefined;
  messages?: RememberedList | undefined;
  /** The first input items validated before (as input items): validation may skip them. */
  validInput?: number;
  /**
   * What the parent row holds when it is still the remembered turn (set when the input matched):
   * a write may plan against it and have the database verify it, in the statement that inserts.
   */
  parent?: ParentFacts | undefined;
}

/** A copied object: its own keys in order, and copies of their values. */
class CopiedObject {
  constructor(
    readonly keys: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** The value of its own `id` key. */
  [ITEM_ID](): unknown {
    const i = this.keys.indexOf("id");
    return i < 0 ? undefined : this.values[i];
  }
}

/**
 * A copy of validated JSON data (plain objects, arrays, strings, finite numbers, booleans,
 * null) that the caller cannot change afterwards, for sameJson() only. Strings are immutable
 * and shared; objects keep their keys' order.
 */
export function snapshot(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(snapshot);
  const keys = Object.keys(value);
  return new CopiedObject(
    keys,
    keys.map((key) => snapshot((value as Record<string, unknown>)[key])),
  );
}

/** Plain JSON data again from a snapshot(): new objects and arrays, the caller's to change. */
function thaw(value: unknown): unknown {
  if (value instanceof CopiedObject) {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < value.keys.length; i++) {
      const key = value.keys[i]!;
      // An own "__proto__" key (JSON.parse makes one) stays a key: assigning it would set the prototype.
      if (key === "__proto__")
        Object.defineProperty(object, key, { value: thaw(value.values[i]), enumerable: true, writable: true, configurable: true });
      else object[key] = thaw(value.values[i]);
    }
    return object;
  }
  return Array.isArray(value) ? value.map(thaw) : value;
}

/**
 * True only when `value` serialises to exactly the JSON text of `known` (a snapshot()): the
 * same types, the same keys in the same order (an undefined value only where `known` has one
 * at that key), the same strings and numbers. Functions, class instances and toJSON answer
 * false; so may values that would serialise the same in another shape (a key order, a key
 * left undefined), and the caller then does the full check.
 */
export function sameJson(value: unknown, remembered: unknown): boolean {
  if (value === remembered) return true;
  if (typeof value !== "object" || value === null) return false;
  if (remembered instanceof CopiedObject) {
    if (Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    // for-in walks own enumerable keys in Object.keys order (and, of a plain object, nothing
    // inherited unless Object.prototype was given enumerable keys: then this answers false).
    let i = 0;
    for (const key in value) {
      if (key !== remembered.keys[i] || !sameJson((value as Record<string, unknown>)[key], remembered.values[i])) return false;
      i++;
    }
    return i === remembered.keys.length;
  }
  if (!Array.isArray(remembered) || !Array.isArray(value) || value.length !== remembered.length) return false;
  for (let i = 0; i < remembered.length; i++) if (!sameJson(value[i], remembered[i])) return false;
  return true;
}

/** What a prefix check of a turn continuing `turn` checks the parent row against: what it remembers. */
function factsOf(turn: RememberedTurn): ParentFacts {
  return {
    id: turn.id,
    depth: turn.depth,
    inputCount: turn.inputCount,
    outputCount: turn.history.count - turn.inputCount,
    messagesCount: turn.messages?.count ?? null,
    historyDigest: turn.history.digest,
    messagesDigest: turn.messages?.digest ?? null,
  };
}

/**
 * The ids of a turn's history (copies), taking over the set of the prefix it continues where no
 * other turn took it yet (so a turn costs its new items, not its history); else counted afresh.
 */
function historyIds(history: readonly unknown[], prefix: RememberedPrefix | undefined): ListIds {
  const known = prefix?.ids;
  let ids: ListIds;
  let from = 0;
  if (prefix && known && !known.taken) {
    known.taken = true;
    ids = { unique: known.unique, seen: known.seen, taken: false };
    from = prefix.count;
  } else ids = { unique: true, seen: new Set(), taken: false };
  for (let i = from; i < history.length; i++) {
    const id = itemId(history[i]);
    if (id === undefined) continue;
    if (ids.seen.has(id)) ids.unique = false;
    ids.seen.add(id);
  }
  return ids;
}

/** Copies of a remembered turn's input items from position `from` on. */
function inputOf(turn: RememberedTurn, from: number): unknown[] {
  const items: unknown[] = [];
  for (let i = Math.max(0, from); i < turn.inputCount; i++) items.push(thaw(turn.history.items[i]));
  return items;
}

/** Whether `list` starts with the items of `known`, each serialising to the same JSON. */
function startsWith(list: unknown, remembered: RememberedList): boolean {
  if (!Array.isArray(list) || list.length < remembered.count) return false;
  for (let i = 0; i < remembered.count; i++) if (!sameJson(list[i], remembered.items[i])) return false;
  return true;
}

/**
 * The remembered turns, least recently used first, within a bound on their JSON size. A
 * conversation holds one entry: remembering a turn forgets its parent (a fork from an older
 * turn is checked the ordinary way).
 */
export class RememberedTurns {
  readonly #turns = new Map<string, RememberedTurn>();
  #bytes = 0;

  /** `maxBytes`: the bound on the remembered histories' JSON text (0 remembers nothing: `historyCacheBytes`). */
  constructor(readonly maxBytes: number) {}

  /** Whether anything can be remembered (reads then fetch the digests to check against). */
  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Bytes of JSON text remembered now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the turn `id` is remembered (whatever the row holds now). */
  has(id: string): boolean {
    return this.#turns.has(id);
  }

  /** How many turns are remembered. */
  get size(): number {
    return this.#turns.size;
  }

  /**
   * What `input` and `messages` (validated or not) start with of the remembered turn `parentId`
   * stored by `owner`: the parts to skip when validating, and the prefixes to hand to the write.
   */
  match(parentId: unknown, owner: string, input: unknown, messages: unknown): MatchedPrefix | undefined {
    if (typeof parentId !== "string") return undefined;
    const turn = this.#turns.get(parentId);
    if (!turn || turn.owner !== owner) return undefined;
    this.#touch(turn);
    const history = startsWith(input, turn.history) ? turn.history : undefined;
    return {
      input: history,
      validInput: history ? turn.inputCount : 0,
      messages: turn.messages && startsWith(messages, turn.messages) ? turn.messages : undefined,
      parent: history && factsOf(turn),
    };
  }

  /**
   * The remembered turn `parentId` stored by `owner`, for a turn that continues it from what it
   * adds (storeTurn): its history (input, then output) and messages as remembered copies, and the
   * prefixes to hand to the write. Undefined when it is not remembered.
   */
  continued(parentId: string, owner: string): MatchedPrefix | undefined {
    const turn = this.#turns.get(parentId);
    if (!turn || turn.owner !== owner) return undefined;
    this.#touch(turn);
    return { input: turn.history, validInput: turn.inputCount, messages: turn.messages ?? undefined, parent: factsOf(turn) };
  }

  /**
   * Remembers a linked turn just planned (`plan`, with its digests) from the validated lists it
   * was given, reusing the copies of the prefixes they were matched against.
   */
  remember(
    turn: { id: string; parentId: string; owner: string; depth: number },
    lists: { input: ItemList; output: readonly unknown[]; messages: ItemList | null | undefined },
    plan: PlannedHistory,
    digests: { history: string; messages: string | null },
    matched: MatchedPrefix = {},
  ): void {
    this.forget(turn.parentId);
    this.forget(turn.id);
    const bytes = plan.history.bytes + (plan.messages?.bytes ?? 0);
    if (bytes > this.maxBytes) return;
    // Each list continues its prefix's copies: a conversation's turns share one array of them.
    const copied = (list: ItemList, prefix: RememberedList | undefined) =>
      prefix ? grown(prefix.items, prefix.count, list.slice(prefix.count).map(snapshot)) : list.slice().map(snapshot);
    const history = grown(copied(lists.input, matched.input), lists.input.length, lists.output.map(snapshot));
    const ids = historyIds(history, matched.input);
    const messages = plan.messages && lists.messages && digests.messages !== null ? copied(lists.messages, matched.messages) : null;
    const remembered: RememberedTurn = {
      id: turn.id,
      owner: turn.owner,
      depth: turn.depth,
      history: {
        items: history,
        count: history.length,
        digest: digests.history,
        state: plan.history.state,
        bytes: plan.history.bytes,
        copies: copiesOf(history),
        ids,
      },
      inputCount: lists.input.length,
      messages:
        messages && plan.messages && digests.messages !== null
          ? {
              items: messages,
              copies: copiesOf(messages),
              count: messages.length,
              digest: digests.messages,
              state: plan.messages.state,
              bytes: plan.messages.bytes,
            }
          : null,
    };
    this.#turns.set(remembered.id, remembered);
    this.#bytes += bytes;
    for (const [id] of this.#turns) {
      if (this.#bytes <= this.maxBytes) break;
      this.forget(id);
    }
  }

  /**
   * The whole input and messages of the remembered turn `id`, when the stored row's digests
   * (read with it, under the reader's visibility) are the remembered ones: the same content,
   * without reading its ancestors. Undefined otherwise.
   */
  read(
    id: string,
    historyDigest: string | null,
    messagesDigest: string | null,
  ): { input: unknown[]; messages: unknown[] | undefined } | undefined {
    const turn = this.#holding(id, historyDigest);
    if (!turn || (turn.messages?.digest ?? null) !== messagesDigest) return undefined;
    return { input: inputOf(turn, 0), messages: turn.messages ? turn.messages.items.slice(0, turn.messages.count).map(thaw) : undefined };
  }

  /**
   * The input items of the remembered turn `id` from position `from` on, when the stored row's
   * history digest is the remembered one (as read()). Undefined otherwise.
   */
  inputFrom(id: string, historyDigest: string | null, from: number): unknown[] | undefined {
    const turn = this.#holding(id, historyDigest);
    return turn && inputOf(turn, from);
  }

  /** The remembered turn `id` when the stored row's history digest is the remembered one. */
  #holding(id: string, historyDigest: string | null): RememberedTurn | undefined {
    const turn = this.#turns.get(id);
    if (!turn || historyDigest === null || turn.history.digest !== historyDigest) return undefined;
    this.#touch(turn);
    return turn;
  }

  /** Forgets a turn (deleted, updated, or continued). */
  forget(id: string): void {
    const turn = this.#turns.get(id);
    if (!turn) return;
    this.#turns.delete(id);
    this.#bytes -= turn.history.bytes + (turn.messages?.bytes ?? 0);
  }

  /** Forgets everything. */
  clear(): void {
    this.#turns.clear();
    this.#bytes = 0;
  }

  #touch(turn: RememberedTurn): void {
    this.#turns.delete(turn.id);
    this.#turns.set(turn.id, turn);
  }
}
