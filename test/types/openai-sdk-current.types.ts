/**
 * Type tests, compiled by `npm run typecheck` (CI): the official `openai` SDK's current major's
 * types go into the store as they are, in strict mode with no casts, and what reads return is
 * assignable to them. Nothing here runs.
 */
import type OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Response, ResponseInput, ResponseInputItem, ResponseItem } from "openai/resources/responses/responses";
import { type ResponsesStore, createResponsesHandler, type ListPage } from "../../src/index.js";
import type { OpenAIStoreTypes } from "../../src/openai.js";
import { InjectResponsesStore } from "../../src/nest/index.js";
import { getResponsesStore, toNextRouteHandlers } from "../../src/next/index.js";

declare const response: OpenAI.Responses.Response;
declare const input: ResponseInput;
declare const items: ResponseInputItem[];
declare const outputAsInput: OpenAI.Responses.ResponseOutputItem[];
declare const messages: ChatCompletionMessageParam[];
declare const streamEvents: OpenAI.Responses.ResponseStreamEvent[];

/** The default store takes the SDK's objects as they are. */
export async function defaultStoreTakesTheSdkTypes(store: ResponsesStore): Promise<void> {
  await store.storeResponseObject(response, input, messages);
  await store.storeResponseObject(response, items);
  await store.storeResponseObject(response, [...items, ...outputAsInput]);
  await store.updateResponseObject(response, { input: items });
  await store.storeConversationMessages("conv_1", messages);
  // Object literals with fields the store does not name fit too.
  await store.storeResponseObject(
    {
      id: "resp_1",
      object: "response",
      created_at: 1,
      model: "m",
      output: [{ type: "message", role: "assistant", content: [] }],
      usage: null,
    },
    [
      { role: "user", content: "hi" },
      { type: "function_call_output", call_id: "c", output: "42" },
    ],
    [{ role: "user", content: [{ type: "text", text: "hi" }] }],
  );
  // A server's stream, as the SDK types it, is stored and read back as events.
  await store.appendResponseEvents("resp_1", streamEvents);
  const events: number[] = [];
  for await (const event of await store.responseEvents("resp_1", { startingAfter: 3 })) events.push(event.sequence_number);
  // @ts-expect-error an event has a sequence number
  await store.appendResponseEvents("resp_1", [{ type: "response.created" }]);
  // @ts-expect-error created_at is a number of seconds
  await store.storeResponseObject({ ...response, created_at: "2024-01-01" }, []);
  // @ts-expect-error a message has a role the API knows
  await store.storeConversationMessages("conv_1", [{ role: "robot", content: "hi" }]);
}

/** A store of the SDK's types returns them. */
export async function typedStoreReturnsTheSdkTypes(store: ResponsesStore<OpenAIStoreTypes>): Promise<unknown[]> {
  await store.storeResponseObject(response, input, messages);
  const stored: Response = await store.getResponseObject("resp_1");
  const storedInput: ResponseInputItem[] = (await store.getResponseObject("resp_1")).input;
  const storedMessages: ChatCompletionMessageParam[] | null | undefined = (await store.getResponseObject("resp_1")).messages;
  const listed: ListPage<Response> = await store.listResponses({ includeInput: false });
  const listedWithInput: Response[] = (await store.listResponses()).data;
  const page: ResponseInputItem[] = (await store.listResponseInputItems("resp_1")).data;
  const ids: string[] = (await store.listResponseInputItems("resp_1")).data.map((item) => item.id);
  const chat: ChatCompletionMessageParam[] | null = await store.getConversationMessages("conv_1");
  // @ts-expect-error a typed store takes the SDK's Response, not any object with its fields
  await store.storeResponseObject({ id: "resp_1", object: "response", created_at: 1, model: "m", output: [] }, []);
  return [stored, storedInput, storedMessages, listed, listedWithInput, page, ids, chat];
}

/** What the HTTP routes answer for input items is what the SDK's ResponseItem page holds. */
export function listedItemsHaveIds(page: ListPage<ResponseItem>): string[] {
  return page.data.map((item) => item.id);
}

/** A typed store goes wherever a store goes: the HTTP handler, Next.js and Nest. */
export const nextRoutes = toNextRouteHandlers(async (request) => {
  const store = await getResponsesStore<OpenAIStoreTypes>();
  const stored: Response = await store.getResponseObject("resp_1");
  return stored.status === "completed" ? createResponsesHandler(store)(request) : new globalThis.Response(null, { status: 404 });
});

/** A Nest service injects a store of the SDK's types. */
export class ConversationsService {
  constructor(@InjectResponsesStore() private readonly store: ResponsesStore<OpenAIStoreTypes>) {}

  async latest(id: string): Promise<Response> {
    return this.store.getResponseObject(id);
  }
}
