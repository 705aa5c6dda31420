/**
 * Chat messages that repeat a turn's items, stored as references to those items.
 *
 * A turn's chat messages mostly say again what its items say: the user's question is the turn's
 * own input item, the previous answer is its parent's output item, each as `{ role, content }`
 * with the item's one text part as content. A linked row (messageReferences on) stores such a
 * message as `{"$input": i}` (the row's own input item i) or `{"$parent": i}` (its parent's
 * output item i), and only where the item's chat form is, as JSON text, exactly the message: a
 * read gives back the same message. A stored message always has a `role` (the schema requires
 * one), so an object without one is a reference, never a message.
 */
import type { ItemList } from "./chain.js";

/** A message stored as the item it repeats. */
type Reference = { $input: number } | { $parent: number };

/**
 * The chat message an item says, where one follows from it alone: a message item (or an easy
 * input message, without `type`) whose content is a string or one text part. Part of the stored
 * format: a stored reference means this function's answer, so a release may widen it only for
 * items it answered nothing for before.
 */
function chatFormOf(item: unknown): { role: string; content: string } | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const { type, role, content } = item as Record<string, unknown>;
  if ((type !== undefined && type !== "message") || typeof role !== "string") return undefined;
  if (typeof content === "string") return { role, content };
  if (!Array.isArray(content) || content.length !== 1) return undefined;
  const part = content[0] as Record<string, unknown> | null;
  if (typeof part !== "object" || part === null || (part.type !== "input_text" && part.type !== "output_text")) return undefined;
  return typeof part.text === "string" ? { role, content: part.text } : undefined;
}

/** Whether a message could be some item's chat form: an object of a string role and a string content only. */
function mayRepeat(message: unknown): boolean {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return false;
  const m = message as Record<string, unknown>;
  return typeof m.role === "string" && typeof m.content === "string" && Object.keys(m).length === 2;
}

/**
 * The row's own messages with those that repeat one of its own input items or one of its
 * parent's output items as references; undefined where none does (the row keeps them as given).
 */
export function withReferences(messages: readonly unknown[], ownInput: readonly unknown[], parentOutput: ItemList): unknown[] | undefined {
  if (!messages.some(mayRepeat)) return undefined;
  const references = new Map<string, Reference>();
  const offer = (items: ItemList, reference: (i: number) => Reference) => {
    for (let i = 0; i < items.length; i++) {
      const form = chatFormOf(items.at(i));
      if (!form) continue;
      const text = JSON.stringify(form);
      if (!references.has(text)) references.set(text, reference(i));
    }
  };
  offer(ownInput, (i) => ({ $input: i }));
  offer(parentOutput, (i) => ({ $parent: i }));
  if (!references.size) return undefined;
  let any = false;
  const stored = messages.map((m) => {
    const reference = mayRepeat(m) ? references.get(JSON.stringify(m)) : undefined;
    if (reference) any = true;
    return reference ?? m;
  });
  return any ? stored : undefined;
}

/** Whether a stored message is a reference (no message is without a role). */
function isReference(message: unknown): message is Reference {
  return typeof message === "object" && message !== null && !("role" in message);
}

/**
 * A row's own stored messages as messages: each reference replaced by the chat form of the item
 * it names (`ownInput`, the row's own input; `parentOutput()`, its parent's output). Throws
 * `broken(why)` where an item is missing or says no message.
 */
export function resolveReferences(
  stored: readonly unknown[],
  ownInput: readonly unknown[] | undefined,
  parentOutput: () => readonly unknown[] | undefined,
  broken: (why: string) => Error,
): unknown[] {
  if (!stored.some(isReference)) return stored as unknown[];
  return stored.map((m) => {
    if (!isReference(m)) return m;
    const [list, at, where] = "$input" in m ? [ownInput, m.$input, "input"] : [parentOutput(), m.$parent, "parent's output"];
    const form = Number.isInteger(at) ? chatFormOf(list?.[at]) : undefined;
    if (!form) throw broken(`a message refers to item ${String(at)} of its ${where}, which says no message`);
    return form;
  });
}
