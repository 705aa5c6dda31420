/** The public types of the store's calls: what they take and what they return (schemas' types are in schemas/, options in options.ts). */
import type { ValidationError } from "./errors.js";
import type { ReadOptions, User } from "./schemas/params.js";
import type { ChatCompletionMessage, InputItem, Open, ResponseObject, StoreTypes } from "./shapes.js";

export type { ListPage, Order } from "./repository/keyset.js";

/**
 * A stored response as listed: the response object with the `input` it was given.
 *
 * @example
 * ```ts
 * const { data }: ListPage<ResponseWithInput> = await store.listResponses({ user });
 * console.log(data[0]?.input.length);
 * ```
 */
export type ResponseWithInput<T extends StoreTypes = StoreTypes> = T["response"] & { input: T["inputItem"][] };

/**
 * A stored response as read by id: with its `input` and the chat `messages` of its last turn.
 *
 * @example
 * ```ts
 * const stored: StoredResponse = await store.getResponseObject("resp_123", { user });
 * const history = [...(stored.messages ?? [])];
 * ```
 */
export type StoredResponse<T extends StoreTypes = StoreTypes> = ResponseWithInput<T> & { messages?: T["message"][] | null };

/**
 * An input item as `listResponseInputItems` and the `input_items` route return it: as stored,
 * with an `id` always (an item stored without one is given the id of its position, stable while
 * the response's input is not replaced).
 *
 * @example
 * ```ts
 * const { data }: ListPage<ListedInputItem> = await store.listResponseInputItems("resp_123");
 * const next = await store.listResponseInputItems("resp_123", { after: data.at(-1)?.id });
 * ```
 */
export type ListedInputItem<T extends StoreTypes = StoreTypes> = T["inputItem"] & { id: string };

/**
 * What `deleteResponseObject` returns, as the Responses API does.
 *
 * @example
 * ```ts
 * const { deleted }: DeleteResult = await store.deleteResponseObject("resp_123", { user });
 * ```
 */
export interface DeleteResult {
  id: string;
  object: "response";
  deleted: true;
}

/**
 * Per-call options of single-response methods.
 *
 * @example
 * ```ts
 * const options: CallOptions = { user: { principal: "alice" } };
 * await store.getResponseObject("resp_123", options);
 * ```
 */
export interface CallOptions {
  /** The caller; `null` or absent for "no user". */
  user?: User | null;
}

/**
 * Per-call options of single-item reads: the caller, and where the read may be answered ({@link ReadOptions}).
 *
 * @example
 * ```ts
 * const options: ReadCallOptions = { user, consistencyToken: await store.consistencyToken() };
 * await store.getResponseObject("resp_123", options);
 * ```
 */
export interface ReadCallOptions extends CallOptions, ReadOptions {}

/**
 * A response's streaming event as the Responses API sends it: its `type`, its `sequence_number`
 * and whatever else it carries (kept as given).
 *
 * @example
 * ```ts
 * const event: ResponseStreamEvent = { type: "response.output_text.delta", sequence_number: 4, delta: "Hel" };
 * ```
 */
export type ResponseStreamEvent = Open<{ readonly type: string; readonly sequence_number: number }>;

/**
 * Options of `responseEvents`.
 *
 * @example
 * ```ts
 * const options: ResponseEventsOptions = { user, startingAfter: 41, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface ResponseEventsOptions extends CallOptions {
  /** Only the events after this sequence number (the API's `starting_after`). @default every event */
  startingAfter?: number;
  /** After the stored events, wait for new ones until the terminal event. @default true */
  follow?: boolean;
  /** End a follow after this long without a new event (the client may resume from the last one). @default 300000 */
  idleTimeoutMs?: number;
  /** Ends the iteration when aborted (an HTTP client that disconnected). */
  signal?: AbortSignal;
}

/**
 * Options of `updateResponseObject`.
 *
 * @example
 * ```ts
 * const options: UpdateOptions = { user, input: [] }; // input: optional
 * await store.updateResponseObject(response, options);
 * ```
 */
export interface UpdateOptions<T extends StoreTypes = StoreTypes> extends CallOptions {
  /** The input items to keep from now on; absent: the stored ones stay. */
  input?: readonly T["inputItem"][];
}

/**
 * Options of `pruneResponses` and `pruneConversationMessages`.
 *
 * @example
 * ```ts
 * const params: PruneParams = { olderThan: new Date(Date.now() - 30 * 86_400_000), allOwners: true };
 * await store.pruneResponses(params);
 * ```
 */
export interface PruneParams {
  /** Delete what was created (messages: last stored) before this moment (a Date, or unix seconds). */
  olderThan: Date | number;
  /** Rows deleted per statement. @default 500 */
  batchSize?: number;
  /** Only rows this caller may delete (ignored with `allOwners`). */
  user?: User | null;
  /** Every owner's rows: an operator's retention job. @default false */
  allOwners?: boolean;
  /** Only rows stored by this principal ("" for rows stored without a user), whatever the policy: an operator's per-user job. */
  owner?: string;
  /** Hears, after each batch, the running total and how many rows matched at the start. */
  onProgress?: (deleted: number, total: number) => void;
  /** Count what would be deleted, in `matched`, and delete nothing. @default false */
  dryRun?: boolean;
}

/**
 * What a prune did: how many rows it deleted, and (a dry run) how many it would have.
 *
 * @example
 * ```ts
 * const { matched } = await store.pruneResponses({ olderThan: new Date(Date.now() - 30 * 86_400_000), allOwners: true, dryRun: true });
 * ```
 */
export interface PruneResult {
  deleted: number;
  /** With `dryRun`: the rows that match (nothing was deleted). */
  matched?: number;
}

/**
 * Options of `storageStats`.
 *
 * @example
 * ```ts
 * const params: StorageStatsParams = { allOwners: true };
 * await store.storageStats(params);
 * ```
 */
export interface StorageStatsParams extends ReadOptions {
  /** Count the rows this caller may read. */
  user?: User | null;
  /** Count every owner's rows (an operator's view). @default false */
  allOwners?: boolean;
}

/**
 * Rows and bytes, in all or of one model.
 *
 * @example
 * ```ts
 * const { bytes, storedBytes }: StorageCounts = await store.storageStats({ allOwners: true });
 * console.log(`history ${bytes} bytes, kept in ${storedBytes}`);
 * ```
 */
export interface StorageCounts {
  /** Responses (deleted ones left out). */
  rows: number;
  /** Bytes of the JSON reads return: each response with its whole input and messages. */
  bytes: number;
  /**
   * Bytes of JSON stored: a turn that continues another keeps only its new items, so a long
   * conversation stores each item once; deleted turns later turns build on are counted.
   */
  storedBytes: number;
  /** Deleted turns kept because later turns build on them (gone with the last of those). */
  retained: number;
}

/**
 * What `storageStats` returns: the counts in all, and per model.
 *
 * @example
 * ```ts
 * const { rows, byModel }: StorageStats = await store.storageStats({ user });
 * ```
 */
export interface StorageStats extends StorageCounts {
  byModel: (StorageCounts & { model: string })[];
}

/**
 * Options of `compactResponses`.
 *
 * @example
 * ```ts
 * const params: CompactParams = { batchSize: 200, onProgress: (done, total) => console.log(`${done}/${total}`) };
 * await store.compactResponses(params);
 * ```
 */
export interface CompactParams {
  /** Rows read per round (each row is rewritten in its own transaction). @default 500 */
  batchSize?: number;
  /** Hears, after each round, how many rows were rewritten and how many were left at the start. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * One response to import, with the owner it had.
 *
 * @example
 * ```ts
 * const record: ImportRecord = { response, input: [], messages: null, owner: { principal: "alice" } };
 * await store.importResponses([record]);
 * ```
 */
export interface ImportRecord {
  response: ResponseObject;
  input: readonly InputItem[];
  messages?: readonly ChatCompletionMessage[] | null;
  owner: User | null;
}

/**
 * What `importResponses` did: the ids inserted, those skipped because they were stored, and the invalid records.
 *
 * @example
 * ```ts
 * const { inserted, skipped, invalid }: ImportResult = await store.importResponses(records);
 * ```
 */
export interface ImportResult {
  inserted: string[];
  skipped: string[];
  /** Each invalid record: its response's id (`"(no id)"` without one), its position in the records given, and why. */
  invalid: { id: string; index: number; error: ValidationError }[];
}
