/**
 * Type tests, compiled by `npm run typecheck` (CI): the `openai` SDK's previous major (5, installed
 * as `openai-v5`) fits as well, both in a default store and as a host's own {@link StoreTypes}.
 * Nothing here runs.
 */
import type { ChatCompletionMessageParam } from "openai-v5/resources/chat/completions";
import type { Response, ResponseInput, ResponseInputItem } from "openai-v5/resources/responses/responses";
import type { ResponsesStore, StoreTypes } from "../../src/index.js";

declare const response: Response;
declare const input: ResponseInput;
declare const messages: ChatCompletionMessageParam[];

/** The SDK 5 types, named as a store's types. */
interface OpenAIv5StoreTypes extends StoreTypes {
  response: Response;
  inputItem: ResponseInputItem;
  message: ChatCompletionMessageParam;
}

/** The default store takes SDK 5's objects as they are. */
export async function defaultStoreTakesSdk5Types(store: ResponsesStore): Promise<void> {
  await store.storeResponseObject(response, input, messages);
  await store.updateResponseObject(response, { input });
  await store.storeConversationMessages("conv_1", messages);
}

/** A store of SDK 5's types returns them. */
export async function typedStoreReturnsSdk5Types(store: ResponsesStore<OpenAIv5StoreTypes>): Promise<unknown[]> {
  await store.storeResponseObject(response, input, messages);
  const stored: Response = await store.getResponseObject("resp_1");
  const items: ResponseInputItem[] = (await store.listResponseInputItems("resp_1")).data;
  const chat: ChatCompletionMessageParam[] | null = await store.getConversationMessages("conv_1");
  const listed: Response[] = (await store.listResponses({ includeInput: false })).data;
  return [stored, items, chat, listed];
}
