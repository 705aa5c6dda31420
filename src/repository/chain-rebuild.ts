/**
 * A turn's whole history rebuilt from the rows of its chain, as pure functions.
 *
 * Each row of a chain holds its own items and says how many it inherits (`inputStart`,
 * `messagesStart`); a turn's whole input is its ancestors' items and outputs in order, then its
 * own, and its messages likewise. A chain that does not add up (a missing link, a cycle, counts
 * that disagree) is a StorageError, never a wrong history.
 */
import { StorageError } from "../errors.js";
import { resolveReferences } from "./message-references.js";

/** A row of a chain as the walk returns it. */
export interface ChainRow {
  id: string;
  parentId: string | null;
  inputStart: number;
  messagesStart: number;
  blob: Record<string, unknown> & { input?: unknown[]; output?: unknown[]; messages?: unknown[] | null };
}

/** The error for a chain that cannot be rebuilt (a missing link, a cycle, counts that disagree). */
function brokenChain(operation: string, id: string, why: string): StorageError {
  return new StorageError(operation, false, {
    cause: new Error(`the stored history of response ${id} cannot be rebuilt: ${why} (was openai_responses edited by hand?)`),
  });
}

/** The rows from `leaf` up to the first that holds its part whole, nearest first. */
function lineage(leaf: ChainRow, rows: ReadonlyMap<string, ChainRow>, linked: (row: ChainRow) => boolean, operation: string): ChainRow[] {
  const path = [leaf];
  for (let row = leaf; linked(row);) {
    const parent = row.parentId === null ? undefined : rows.get(row.parentId);
    if (!parent) throw brokenChain(operation, leaf.id, `its ancestor ${row.parentId ?? "(none)"} is missing`);
    // More steps than rows read: the path came back to a row it passed.
    if (path.length > rows.size) throw brokenChain(operation, leaf.id, "its ancestors form a cycle");
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
      if (position !== row.inputStart)
        throw brokenChain(operation, leaf.id, `response ${row.id} continues ${row.inputStart} items, its parent holds ${position}`);
    }
    push(row.blob.input);
  }
  return items;
}

/** A row's own messages, references to its items resolved (message-references.ts). */
function ownMessages(row: ChainRow, leaf: ChainRow, rows: ReadonlyMap<string, ChainRow>, operation: string): unknown[] | null | undefined {
  const own = row.blob.messages;
  if (!Array.isArray(own)) return own;
  const parentOutput = () => (row.parentId === null ? undefined : rows.get(row.parentId)?.blob.output);
  return resolveReferences(own, row.blob.input, parentOutput, (why) => brokenChain(operation, leaf.id, `in response ${row.id}, ${why}`));
}

/** The whole chat messages of `leaf` (undefined when it was stored without them). */
export function rebuildMessages(leaf: ChainRow, rows: ReadonlyMap<string, ChainRow>, operation: string): unknown[] | null | undefined {
  const path = lineage(leaf, rows, (r) => r.messagesStart > 0, operation);
  if (path.length === 1) return ownMessages(leaf, leaf, rows, operation);
  const messages: unknown[] = [];
  for (let i = path.length - 1; i >= 0; i--) {
    const row = path[i]!;
    if (i < path.length - 1 && messages.length !== row.messagesStart) {
      throw brokenChain(
        operation,
        leaf.id,
        `response ${row.id} continues ${row.messagesStart} messages, its parent holds ${messages.length}`,
      );
    }
    messages.push(...(ownMessages(row, leaf, rows, operation) ?? []));
  }
  return messages;
}
