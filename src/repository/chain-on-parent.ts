/**
 * A turn planned on its parent's row, not on its history: storeTurn on a parent this process does not remember.
 *
 * The row keeps only what the turn adds; its counts and size follow from the parent row's. Where
 * the parent row keeps what a turn continuing it inherits (every row this release plans), the
 * INSERT takes those from the row itself (planOnParentRow, with turn-insert.ts); a row stored
 * before is read first, and the turn planned on what was read (planOnStoredParent).
 */
import { inheritedOf, innerBytes, rowJson, serialise, type ChainColumns, type ParentFacts } from "./chain.js";
import { withReferences } from "./message-references.js";

/**
 * A parent as a turn stored on it without its history needs it: its columns as stored (digests
 * null where they were never taken), and the bytes of the items a turn continuing it inherits.
 */
export interface StoredParent {
  facts: ParentFacts & { inputCount: number; outputCount: number };
  /** Whether the row holds its whole history (then a turn is built from it, and remembered whole). */
  whole: boolean;
  /** Its full_bytes as stored (null: a row stored whole and not planned), which the insert checks again. */
  fullBytes: number | null;
  /**
   * Bytes of the JSON text (without brackets) of the items a turn continuing it inherits: its
   * whole input followed by its output, and its whole messages.
   */
  inheritedBytes: number;
}

/** What a turn adds to its parent: its own input, output and messages. */
export interface AddedItems {
  input: readonly unknown[];
  output: readonly unknown[];
  messages: readonly unknown[];
}

/**
 * The JSON of a row that keeps only what its turn adds, with messages that repeat the turn's own
 * input items as references (the parent's output is not in hand); `unreferenced`: the bytes the
 * references save, which sizes count back (they count messages as a read returns them).
 */
function addedJson(items: AddedItems, restJson: string, messageReferences: boolean) {
  const ownInput = serialise(items.input).inner;
  const ownMessages = serialise(items.messages).inner;
  const fields = restJson.slice(1, -1);
  const referenced = messageReferences ? withReferences(items.messages, items.input, []) : undefined;
  const storedMessages = referenced ? serialise(referenced).inner : ownMessages;
  const json = rowJson(fields, ownInput, storedMessages);
  const unreferenced = referenced ? Buffer.byteLength(ownMessages) - Buffer.byteLength(storedMessages) : 0;
  return { fields, ownInput, ownMessages, json, unreferenced };
}

/**
 * Plans a turn that continues `parent` with `items` alone (storeTurn on a parent this process
 * does not remember): the row keeps only them, and its counts and size follow from the parent's.
 * Its digests and its id uniqueness are not known without the whole history, so they stay null:
 * a whole-list store continuing it takes them from its chain, and input pages read it as an
 * input whose ids may repeat.
 */
export function planOnStoredParent(
  items: AddedItems,
  parent: StoredParent,
  restJson: string,
  messageReferences = false,
): { json: string; columns: ChainColumns } {
  const { facts, inheritedBytes } = parent;
  const { fields, ownInput, ownMessages, json, unreferenced } = addedJson(items, restJson, messageReferences);
  const inputStart = facts.inputCount + facts.outputCount;
  const messagesStart = facts.messagesCount ?? 0;
  // The comma that joins inherited items to the row's own, where both are there.
  const joins = (inherited: number, own: string) => (inherited > 0 && own ? 1 : 0);
  const inputCount = inputStart + items.input.length;
  const outputCount = items.output.length;
  const fullBytes =
    Buffer.byteLength(json) + unreferenced + inheritedBytes + joins(inputStart, ownInput) + joins(messagesStart, ownMessages);
  const columns: ChainColumns = {
    parentId: facts.id,
    depth: facts.depth + 1,
    inputStart,
    inputCount,
    outputCount,
    messagesStart,
    messagesCount: messagesStart + items.messages.length,
    historyDigest: null,
    messagesDigest: null,
    inputIdsUnique: null,
    fullBytes,
    inheritedBytes: inheritedOf(fullBytes, fields, true, innerBytes(items.output), inputCount, outputCount),
  };
  return { json, columns };
}

/**
 * What a turn that continues a parent with `items` alone needs of the parent row, for the INSERT
 * that reads the parent's counts and size itself (turn-insert.ts, insertOnParentRow): the row's
 * JSON and the constants its columns add to the parent's.
 */
export interface TurnOnParentRow {
  /** The row's JSON: the response with the turn's own input and messages. */
  json: string;
  /** How many input items, output items and messages the turn adds. */
  input: number;
  output: number;
  messages: number;
  /** Bytes of `json`. */
  jsonBytes: number;
  /** 1 where the turn adds input items (a comma joins them to the inherited ones, if any), else 0. */
  inputJoin: number;
  /** 1 where the turn adds messages, else 0. */
  messagesJoin: number;
  /**
   * What the row's own inherited bytes are beyond its full bytes: its output, less its JSON
   * without items (a comma between input and output is the insert's to add).
   */
  inheritedOffset: number;
}

/**
 * Plans a turn to be inserted on its parent's row as the INSERT finds it (storeTurn on a parent
 * this process does not remember, whose row keeps what a turn inherits): planOnStoredParent's
 * columns, with the parent's counts and size left to the statement.
 */
export function planOnParentRow(items: AddedItems, restJson: string, messageReferences = false): TurnOnParentRow {
  const { fields, ownInput, ownMessages, json, unreferenced } = addedJson(items, restJson, messageReferences);
  return {
    json,
    input: items.input.length,
    output: items.output.length,
    messages: items.messages.length,
    jsonBytes: Buffer.byteLength(json) + unreferenced,
    inputJoin: ownInput ? 1 : 0,
    messagesJoin: ownMessages ? 1 : 0,
    inheritedOffset: innerBytes(items.output) - Buffer.byteLength(rowJson(fields, "", "")),
  };
}
