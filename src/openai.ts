/**
 * The subpath `openai-responses-store/openai`: the official `openai` SDK's types as a store's types.
 *
 * Types only (nothing runs); `openai` is an optional peer dependency that only this subpath needs.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Response, ResponseInputItem } from "openai/resources/responses/responses";
import type { StoreTypes } from "./shapes.js";

/**
 * A store of the SDK's `Response`, `ResponseInputItem` and `ChatCompletionMessageParam`: its
 * writes take them with no casts, and its reads return them.
 *
 * @example
 * ```ts
 * // import type { OpenAIStoreTypes } from "openai-responses-store/openai";
 * import OpenAI from "openai";
 * const openai = new OpenAI();
 * const store = await createResponsesStore<OpenAIStoreTypes>({ url: "file:./responses.db" });
 * const input: OpenAI.Responses.ResponseInput = [{ role: "user", content: "Hello" }];
 * const response = await openai.responses.create({ model: "gpt-4o", input });
 * await store.storeResponseObject(response, input);
 * const stored: OpenAI.Responses.Response = await store.getResponseObject(response.id);
 * ```
 */
export interface OpenAIStoreTypes extends StoreTypes {
  response: Response;
  inputItem: ResponseInputItem;
  message: ChatCompletionMessageParam;
}
