/**
 * Type tests, compiled by `npm run typecheck` (CI): the `openai` SDK's previous major (6, installed
 * as `openai-v6`) fits as well, both in a default store and as a host's own {@link StoreTypes}.
 * Nothing here runs.
 */
import type { ChatCompletionMessageParam } from "openai-v6/resources/chat/completions";
import type { Response, ResponseInput, ResponseInputItem, ResponseStreamEvent } from "openai-v6/resources/responses/responses";
import type { ResponsesStore, StoreTypes } from "../../src/index.js";

declare const response: Response;
declare const input: ResponseInput;
declare const messages: ChatCompletionMessageParam[];
declare const streamEvents: ResponseStreamEvent[];

/** The SDK 6 types, named as a store's types. */
interface OpenAIv6StoreTypes extends StoreTypes {
  response: Response;
  inputItem: ResponseInputItem;
  message: ChatCompletionMessageParam;
}

/** The default store takes SDK 6's objects as they are. */
export async function defaultStoreTakesSdk6Types(store: ResponsesStore): Promise<void> {
  await store.storeResponseObject(response, input, messages);
  await store.updateResponseObject(response, { input });
  await store.storeConversationMessages("conv_1", messages);
  await store.appendResponseEvents("resp_1", streamEvents);
}

/** A store of SDK 6's types returns them. */
export async function typedStoreReturnsSdk6Types(store: ResponsesStore<OpenAIv6StoreTypes>): Promise<unknown[]> {
  await store.storeResponseObject(response, input, messages);
  const stored: Response = await store.getResponseObject("resp_1");
  const items: ResponseInputItem[] = (await store.listResponseInputItems("resp_1")).data;
  const chat: ChatCompletionMessageParam[] | null = await store.getConversationMessages("conv_1");
  const listed: Response[] = (await store.listResponses({ includeInput: false })).data;
  return [stored, items, chat, listed];
}
