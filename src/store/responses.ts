/** The responses API's bodies: store, update, get, list, delete and input-item pages, over the runtime, with access already decided. */
import type { ReadRoute } from "../schemas/params.js";
import { ownerColumns, ownerKey } from "../access/owner.js";
import type { RowCondition } from "../access/where.js";
import { ConversationLockedError, ConversationNotFoundError, InvalidParameterError, ResponseNotFoundError } from "../errors.js";
import { isKey } from "../schemas/common.js";
import { unknownCursor } from "../repository/keyset.js";
import { pageInputItemsOf, withinPageBytes, type InputItemSlice } from "../repository/input-items.js";
import type { ListPage } from "../repository/keyset.js";
import type { RememberedTurns } from "../repository/remembered-turns.js";
import { toRow, toStoredBlob, type PageQuery } from "../repository/responses-table.js";
import { validate } from "../schemas/arguments.js";
import { copyJson } from "../schemas/json.js";
import type { InputItem } from "../schemas/input-item.js";
import type { ChatCompletionMessage } from "../schemas/message.js";
import type { User } from "../schemas/params.js";
import { conversationOf, type ResponseObject } from "../schemas/response.js";
import type { ResponseWrite } from "../repository/responses-table.js";
import { ParentMovedError } from "../repository/responses-writes.js";
import { turnItems } from "./conversations.js";
import type { DeleteResult, ResponseWithInput, StoredResponse } from "../types.js";
import type { StoreRuntime } from "./runtime.js";

/** The responses API over one runtime. */
export class ResponseOperations {
  readonly #runtime: StoreRuntime;
  readonly #remembered: RememberedTurns;
  readonly #pageBytes: number;

  /** `pageBytes`: where a page of responses or input items ends, in bytes of JSON (the `pageBytes` option). */
  constructor(runtime: StoreRuntime, remembered: RememberedTurns, pageBytes: number) {
    this.#runtime = runtime;
    this.#remembered = remembered;
    this.#pageBytes = pageBytes;
  }

  /**
   * Stores a validated response for `user` with its input and messages, validating those (items
   * equal to those of the remembered parent turn were validated when it was stored). The owner
   * is captured here, at the call: a queued write never takes it from elsewhere.
   */
  async store(
    response: ResponseObject,
    input: readonly InputItem[],
    messages: readonly ChatCompletionMessage[],
    user: User | null,
    mayCreate: boolean,
    conversationWritable?: () => RowCondition,
  ): Promise<void> {
    const owner = ownerColumns(user);
    const remembered = this.#remembered.match(response.previous_response_id, ownerKey(owner), input, messages) ?? {};
    validate("input", input, remembered.validInput);
    validate("messages", messages, remembered.messages?.count);
    // Captured at the call: the lists as they are now, and copies of the response and of every item
    // not matched against a remembered turn's own copies (those were stored already, and only their
    // count and digest are planned with while the parent holds them).
    const captured = toStoredBlob(
      copyJson(response) as ResponseObject,
      capture(input, remembered.validInput),
      capture(messages, remembered.messages?.count),
    );
    const row = toRow(captured, owner);
    const write = { kind: "store", id: row.id, row, mayCreate, remembered } as const;
    const conversation = conversationOf(response);
    if (conversation === undefined) return this.#runtime.write(write);
    await this.#inConversation(conversation, row.id, response.status, conversationWritable!(), user, write);
  }

  /**
   * Stores a validated response that continues its `previous_response_id` from what it adds: its
   * whole input is the parent's whole input and output, then `input`; its messages the parent's,
   * then `messages`. Against a parent this store remembers, the lists are built from its copies
   * and the row is written in one statement that checks the parent row still holds them; else
   * (not remembered, changed by another instance, a turn on a conversation) the parent is read,
   * as `readable` lets the writer, and the whole lists are stored as store() stores them.
   */
  async storeTurn(
    response: ResponseObject,
    input: readonly InputItem[],
    messages: readonly ChatCompletionMessage[],
    user: User | null,
    mayCreate: boolean,
    readable: RowCondition,
    conversationWritable?: () => RowCondition,
  ): Promise<void> {
    const previous = response.previous_response_id;
    if (typeof previous !== "string" || !previous)
      throw new InvalidParameterError("previous_response_id", "storeTurn continues a response: previous_response_id must name it");
    if (!isKey(previous)) throw new ResponseNotFoundError(previous); // no stored id is like it, on any engine
    validate("input", input);
    validate("messages", messages);
    const owner = ownerColumns(user);
    if (conversationOf(response) === undefined) {
      // Captured at the call, as store() does. The row holds only what the turn adds: the write
      // plans its whole lists as the remembered parent's followed by these (`appends`), or, where
      // this instance does not remember it, inserts the turn on the parent row as it reads it.
      const blob = toStoredBlob(copyJson(response) as ResponseObject, capture(input), capture(messages));
      const row = toRow(blob, owner);
      const parent = this.#remembered.continued(previous, ownerKey(owner));
      if (!parent) await this.#runtime.onPrimary({ id: previous }, async () => {}); // its queued writes land first
      // On what this instance remembers of the parent, else on the parent row as the insert finds it.
      const write = { kind: "store", id: row.id, row, mayCreate, appends: true } as const;
      try {
        await this.#runtime.write(parent ? { ...write, remembered: parent } : { ...write, onStoredParent: true });
        return;
      } catch (error) {
        if (!(error instanceof ParentMovedError)) throw error;
      }
    }
    const stored = await this.get(previous, readable, { primary: true });
    const history = [...(stored.input as InputItem[]), ...(stored.output as InputItem[])];
    const chat = [...((stored.messages ?? []) as ChatCompletionMessage[]), ...messages];
    await this.store(response, [...history, ...input], chat, user, mayCreate, conversationWritable);
  }

  /**
   * A write of a response that names a conversation, with its turn: in one transaction, the
   * conversation locked, the response written, and (once it is completed) its input and output
   * appended to the conversation, once. Never queued.
   */
  async #inConversation(
    conversationId: string,
    id: string,
    status: string | null | undefined,
    writable: RowCondition,
    writer: User | null,
    write: ResponseWrite,
  ): Promise<void> {
    const outcome = await this.#runtime.transaction({ id }, async ({ responses, conversations }, access) =>
      conversations.history.turn(
        conversationId,
        id,
        status ?? "completed",
        writable,
        async () => {
          const error = (await responses.write([write], access)).get(id);
          if (error) throw error;
        },
        async () => {
          const stored = await responses.find(id, access(writer).read);
          return turnItems([...(stored?.input ?? []), ...(stored?.output ?? [])]);
        },
        Math.floor(Date.now() / 1000),
      ),
    );
    if (outcome === "no-conversation") throw new ConversationNotFoundError(conversationId);
    if (outcome === "locked") throw new ConversationLockedError(conversationId);
  }

  /** A lifecycle update by `writer` of a validated response (and input, when given). */
  async update(
    response: ResponseObject,
    input: readonly InputItem[] | undefined,
    writer: User | null,
    conversationWritable?: () => RowCondition,
  ): Promise<void> {
    const { input: _input, messages: _messages, ...rest } = response as ResponseObject & { input?: unknown; messages?: unknown };
    // Captured at the call: what the caller changes afterwards is not what it asked to store.
    const write = {
      kind: "update",
      id: response.id,
      response: structuredClone(rest),
      input: input === undefined ? undefined : structuredClone([...input]),
      createdAt: response.created_at,
      model: response.model,
      writer,
    } as const;
    const conversation = conversationOf(response);
    if (conversation === undefined) return this.#runtime.write(write);
    await this.#inConversation(conversation, response.id, response.status, conversationWritable!(), writer, write);
  }

  /**
   * Cancels the background response `id` for `writer` (one transaction under its row lock, in
   * call order with its other writes), then reads it back from the primary.
   */
  async cancel(id: string, writer: User | null, visible: RowCondition): Promise<ResponseObject> {
    if (!isKey(id)) throw new ResponseNotFoundError(id);
    const write = { kind: "update", id, cancel: true, response: {} as never, input: undefined, createdAt: 0, model: "", writer } as const;
    await this.#runtime.write(write);
    const { input: _input, messages: _messages, ...response } = await this.get(id, visible, { primary: true });
    return response as ResponseObject;
  }

  /**
   * The visible response `id`, read after its queued writes. `R`: the store's own type of it
   * (what its writes took, so what it stored; reads return JSON as it was given).
   */
  async get<R = StoredResponse>(id: string, visible: RowCondition, route: ReadRoute): Promise<R> {
    if (!isKey(id)) throw new ResponseNotFoundError(id); // no stored id is like it, on any engine
    const found = await this.#runtime.read(
      { id },
      ({ responses }) => responses.find(id, visible),
      (f) => f === undefined,
      route,
    );
    if (!found) throw new ResponseNotFoundError(id);
    return found as R;
  }

  /** A page of visible responses (as `R`, like {@link get}); every write queued before the call is visible to it. */
  async list<R = ResponseWithInput | ResponseObject>(
    query: Omit<PageQuery, "maxBytes">,
    visible: RowCondition,
    route: ReadRoute,
  ): Promise<ListPage<R>> {
    // Cursors and filters no stored key can match answer as on every engine, without the database.
    if (query.after !== undefined && !isKey(query.after)) throw unknownCursor(query.after);
    if (query.model !== undefined && !isKey(query.model))
      return { object: "list", data: [], first_id: null, last_id: null, has_more: false };
    const page = this.#runtime.read(
      "all",
      ({ responses }) => responses.page({ ...query, maxBytes: this.#pageBytes }, visible),
      undefined,
      route,
    );
    return page as Promise<ListPage<R>>;
  }

  /** Deletes a deletable response, after its queued writes land. */
  async delete(id: string, deletable: RowCondition): Promise<DeleteResult> {
    if (!isKey(id)) throw new ResponseNotFoundError(id);
    // In call order with the queued writes of this id: a store made just before lands first, one made just after lands after.
    const deleted = await this.#runtime.inOrder(id, ({ responses }) => responses.delete(id, deletable));
    if (!deleted) throw new ResponseNotFoundError(id);
    return { id, object: "response", deleted: true };
  }

  /** A page of the input items (as `R`, like {@link get}) of the visible response `id`, read after its queued writes. */
  async inputItems<R = InputItem>(id: string, slice: InputItemSlice, visible: RowCondition, route: ReadRoute): Promise<ListPage<R>> {
    if (!isKey(id)) throw new ResponseNotFoundError(id);
    const page = await this.#runtime.read(
      { id },
      ({ responses }) => pageInputItemsOf((from, newest) => responses.inputFrom(id, visible, from, newest), slice, id),
      (p) => p === undefined,
      route,
    );
    if (!page) throw new ResponseNotFoundError(id);
    return withinPageBytes(page, this.#pageBytes) as ListPage<R>;
  }
}

/** `list` as it is now: its first `kept` items as they are (matched against remembered copies), copies of the rest. */
function capture<T>(list: readonly T[], kept = 0): T[] {
  // concat, not spreads: at 10,000 turns a spread of the kept items cost 0.6 ms a store. The
  // copies share the caller's strings, so the next turn compares them by reference.
  return kept > 0 ? list.slice(0, kept).concat(copyJson(list.slice(kept)) as T[]) : (copyJson(list) as T[]);
}
