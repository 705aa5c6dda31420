/**
 * The shapes the store's calls take, which the official `openai` SDK's interfaces fit with no casts.
 *
 * Structural types with no index signatures, so the SDK's interfaces (and a host's own) fit.
 * They name only the fields the store reads; the schemas in schemas/ check the rest at run time,
 * and every field is stored as given. Each is {@link Open}: an interface with just these fields
 * fits (the SDK's), and so does an object literal with more. {@link StoreTypes} lets a host say
 * which types it stores, so that what reads return is typed as what it stored.
 */

/**
 * `X`, or `X` with more fields of any type: interfaces that declare only `X`'s fields fit the
 * first (an interface never fits an index signature), object literals with others the second.
 *
 * @example
 * ```ts
 * const part: Open<{ readonly type: string }> = { type: "input_text", text: "hi" };
 * ```
 */
export type Open<X> = X | (X & { readonly [field: string]: unknown });

/**
 * A content part of a message: its `type` and its own fields.
 *
 * @example
 * ```ts
 * const part: ContentPart = { type: "input_text" };
 * ```
 */
export type ContentPart = Open<{
  readonly type: string;
}>;

/**
 * An output item of a response (a message, a tool call, reasoning, ...), as the SDK's `ResponseOutputItem`.
 *
 * @example
 * ```ts
 * const item: OutputItem = { type: "function_call", id: "fc_1" };
 * ```
 */
export type OutputItem = Open<{
  readonly type: string;
  readonly id?: string | null;
}>;

/**
 * A response object to store, as the SDK's `Response`: `id`, `created_at` (unix seconds),
 * `model` and `output` are required; the store checks `status`, `error`, `metadata` and
 * `previous_response_id` when present and keeps every other field as given.
 *
 * @example
 * ```ts
 * const response: ResponseObject = { id: "resp_1", object: "response", created_at: 1_700_000_000, model: "gpt-4o", output: [] };
 * await store.storeResponseObject(response, []);
 * ```
 */
export type ResponseObject = Open<{
  readonly id: string;
  readonly object: "response";
  readonly created_at: number;
  readonly model: string;
  readonly output: readonly OutputItem[];
  readonly status?: string | null;
  readonly previous_response_id?: string | null;
  readonly error?: { readonly code?: string | null; readonly message: string } | null;
  readonly metadata?: Readonly<Record<string, string>> | null;
}>;

/**
 * One input item, as the SDK's `ResponseInputItem`: a message (`type` may be left out, as in
 * requests), a tool call or its output, reasoning, an item reference, or any newer item type.
 *
 * @example
 * ```ts
 * const item: InputItem = { role: "user", content: "Hello" };
 * await store.storeResponseObject(response, [item]);
 * ```
 */
export type InputItem = Open<{
  readonly type?: string | null;
  readonly id?: string | null;
  readonly role?: string;
  readonly content?: unknown;
}>;

/**
 * A chat-completion message, as the SDK's `ChatCompletionMessageParam`.
 *
 * @example
 * ```ts
 * const messages: ChatCompletionMessage[] = [{ role: "user", content: "Hello" }, { role: "assistant", content: "Hi!" }];
 * await store.storeResponseObject(response, input, messages);
 * ```
 */
export type ChatCompletionMessage = Open<{
  readonly role: "system" | "developer" | "user" | "assistant" | "tool" | "function";
  readonly content?: string | readonly ContentPart[] | null;
  readonly name?: string | null;
  readonly tool_call_id?: string;
  readonly tool_calls?: readonly Open<{ readonly type?: string; readonly id?: string | null }>[] | null;
}>;

/**
 * The types a store keeps: what its writes take and its reads return. The default takes any
 * response, item and message that fits the shapes above; a host that stores the SDK's types
 * says so (`OpenAIStoreTypes` from `openai-responses-store/openai`), and reads return them.
 *
 * @example
 * ```ts
 * // import type { OpenAIStoreTypes } from "openai-responses-store/openai";
 * import type OpenAI from "openai";
 * const typed = await createResponsesStore<OpenAIStoreTypes>({ url: "file:./responses.db" });
 * const stored: OpenAI.Responses.Response = await typed.getResponseObject("resp_1");
 * ```
 */
export interface StoreTypes {
  response: ResponseObject;
  inputItem: InputItem;
  message: ChatCompletionMessage;
}
