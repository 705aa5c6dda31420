/**
 * Input-item pages: the reference's slicing, plus has_more, hidden compaction items and `include` gating.
 *
 * Paging through a response's stored input items, exactly as the reference slices them
 * (after/before by item id in the requested order), plus what the hosted API adds: has_more,
 * first_id, last_id, hidden compaction items, and fields gated behind `include`; and an id for
 * every item, as the hosted API gives one, so that cursors reach items stored without.
 */
import { createHash } from "node:crypto";
import { InputItemNotFoundError } from "../errors.js";
import type { InputItem } from "../schemas/input-item.js";
import { jsonBytesAtMost } from "../schemas/json.js";
import type { IncludeValue } from "../schemas/params.js";
import { assemblePage, type ListPage, type Order } from "./keyset.js";
import type { InputWindow } from "./responses-table.js";

/** Slicing parameters, already validated (defaults applied). */
export interface InputItemSlice {
  after?: string | undefined;
  before?: string | undefined;
  include: readonly IncludeValue[];
  limit: number;
  order: Order;
}

type Item = InputItem & Record<string, unknown>;

/** An input item with the id it is listed under, at its place in the input. */
interface Named {
  item: Item;
  id: string;
}

/**
 * How a response's input items are named in pages: an item's own id (a non-empty string), or,
 * for one stored without, an id derived from the response and its position: `msg_` (messages)
 * or `item_`, then 24 hex digits of the response id's SHA-256 and the position in 8. Derived ids
 * are what the hosted API's ids are to the SDK's paging (a page's last id is the next page's
 * `after`); they stay while the response's input is not replaced, and differ between responses.
 */
function inputItemNames(responseId: string): (item: Item, position: number) => string {
  let base: string | undefined; // taken only when an item has no id of its own
  return (item, position) => {
    if (typeof item.id === "string" && item.id !== "") return item.id;
    base ??= createHash("sha256").update(responseId).digest("hex").slice(0, 24);
    const prefix = item.type === "message" || (item.type == null && "role" in item) ? "msg" : "item";
    return `${prefix}_${base}${position.toString(16).padStart(8, "0")}`;
  };
}

/** The visible items of `items` (the input from position `from` on), each with its listed id. */
function named(items: readonly Item[], responseId: string, from: number): Named[] {
  const name = inputItemNames(responseId);
  const visible: Named[] = [];
  // Hidden like the hosted API hides them, before ordering, cursors and limit.
  items.forEach((item, i) => {
    if (item.type !== "compaction") visible.push({ item, id: name(item, from + i) });
  });
  return visible;
}

/**
 * One page of `items` (the stored input of `responseId` from position `from` on), every item
 * with an id ({@link inputItemNames}). Never mutates `items`.
 *
 * @throws InputItemNotFoundError when `after` or `before` names no item.
 */
export function pageInputItems(items: readonly Item[], slice: InputItemSlice, responseId: string, from = 0): ListPage<Item> {
  const visible = named(items, responseId, from);
  const ordered = slice.order === "desc" ? visible.reverse() : visible;
  let start = 0;
  let end = ordered.length;
  if (slice.after || slice.before) {
    for (let i = 0; i < ordered.length; i++) {
      const id = ordered[i]!.id;
      if (slice.after && id === slice.after) start = i + 1; // keeps scanning: the last duplicate wins
      if (slice.before && id === slice.before) {
        end = i;
        break;
      }
    }
    if (slice.after && start === 0) throw new InputItemNotFoundError(slice.after, responseId);
    if (slice.before && end === ordered.length) throw new InputItemNotFoundError(slice.before, responseId);
  }
  const page = assemblePage(ordered.slice(start, end), slice.limit, (entry) => entry.id);
  const data = page.data.map(({ item, id }) => withoutGatedFields(item.id === id ? item : { ...item, id }, slice.include));
  return { ...page, data };
}

/**
 * One page of a response's input, reading only as much of it as the page needs: newest-first
 * pages (the default) read the newest items, in windows that grow until the page, its cursor
 * and the item after it are inside (the whole input at worst); oldest-first pages, and cursors
 * on an input whose item ids repeat, read the whole input. The page is the one
 * {@link pageInputItems} gives for the whole input. `load` is told, for a newest-first window,
 * how many of the newest items it asks for. Undefined when `load` finds no response.
 *
 * @throws InputItemNotFoundError when `after` or `before` names no item.
 */
export async function pageInputItemsOf(
  load: (from: (count: number | null, unique: boolean | null) => number, newest?: number) => Promise<InputWindow | undefined>,
  slice: InputItemSlice,
  responseId: string,
): Promise<ListPage<Item> | undefined> {
  const cursor = slice.after ?? slice.before;
  // Without a cursor the page and the item after it are all it needs (more only where
  // compaction items hide some); a cursor is looked for a page further back as well.
  let size = cursor ? 2 * (slice.limit + 1) : slice.limit + 1;
  for (;;) {
    const window = await load(
      (count, unique) => (count === null || slice.order === "asc" || (cursor && !unique) ? 0 : count - size),
      slice.order === "asc" ? undefined : size,
    );
    if (!window) return undefined;
    const items = window.items as Item[];
    if (window.from === 0 || enough(named(items, responseId, window.from), slice)) {
      return pageInputItems(items, slice, responseId, window.from);
    }
    size *= 4;
  }
}

/**
 * Whether the newest items of an input whose item ids do not repeat (`window`, named) settle a
 * newest-first page: they hold its cursor and, after it, one more item than the page.
 */
function enough(window: Named[], slice: InputItemSlice): boolean {
  const ordered = window.reverse();
  let start = 0;
  if (slice.after || slice.before) {
    const at = ordered.findIndex((entry) => entry.id === (slice.after ?? slice.before));
    if (at < 0) return false;
    if (slice.before) return true; // the page is what comes before it: all in the window
    start = at + 1;
  }
  return ordered.length - start > slice.limit;
}

/** Sets `key` to null on a copy when it is present and not null. */
function hide<T extends Record<string, unknown>>(obj: T, key: string): T {
  return obj[key] == null ? obj : { ...obj, [key]: null };
}

/**
 * The item with the fields the Responses API returns only when asked (`include`) set to null:
 * file-search results, reasoning content and encrypted content, input image URLs, output-text
 * logprobs. Returns the same object when nothing is hidden.
 */
export function withoutGatedFields(item: Item, include: readonly IncludeValue[]): Item {
  const wants = (value: IncludeValue) => include.includes(value);
  switch (item.type) {
    case "file_search_call":
      return wants("file_search_call.results") ? item : hide(item, "results");
    case "reasoning":
      return wants("reasoning.encrypted_content") ? item : hide(hide(item, "encrypted_content"), "content");
    case "message":
    case undefined: {
      if (!Array.isArray(item.content)) return item;
      let changed = false;
      const content = (item.content as Record<string, unknown>[]).map((part) => {
        const gated =
          part.type === "input_image" && !wants("message.input_image.image_url")
            ? hide(part, "image_url")
            : part.type === "output_text" && !wants("message.output_text.logprobs")
              ? hide(part, "logprobs")
              : part;
        changed ||= gated !== part;
        return gated;
      });
      return changed ? { ...item, content } : item;
    }
    default:
      return item;
  }
}

/**
 * `page` cut after the item that reaches `maxBytes` of JSON (at least one item): `has_more` and
 * `last_id` then continue from the last item kept.
 */
export function withinPageBytes<T>(page: ListPage<T & { id?: unknown }>, maxBytes: number): ListPage<T & { id?: unknown }> {
  // Most pages are far under the budget: bounding their size is a walk, serialising it a copy.
  if (jsonBytesAtMost(page.data) < maxBytes) return page;
  let total = 0;
  for (let i = 0; i < page.data.length; i++) {
    if (i > 0 && total >= maxBytes) {
      const data = page.data.slice(0, i);
      const last = data[data.length - 1]!.id;
      return { ...page, data, last_id: typeof last === "string" ? last : null, has_more: true };
    }
    total += Buffer.byteLength(JSON.stringify(page.data[i]));
  }
  return page;
}
