// A host's first use, as the README shows it: the SDK's types in and out, with no casts.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { createResponsesStore, isResponsesStoreError } from "openai-responses-store";
import type { OpenAIStoreTypes } from "openai-responses-store/openai";

// A Response as the SDK returns one: its client over a fetch that answers as the API does.
const body = {
  id: "resp_consumer",
  object: "response",
  created_at: 1_732_406_400,
  model: "gpt-4o",
  status: "completed",
  output: [
    {
      type: "message",
      id: "msg_out",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Hello!", annotations: [] }],
    },
  ],
  metadata: { topic: "demo" },
};
const openai = new OpenAI({
  apiKey: "unused",
  fetch: async () => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } }),
});
const response: OpenAI.Responses.Response = await openai.responses.create({ model: "gpt-4o", input: "Hi" });
const input: OpenAI.Responses.ResponseInput = [{ role: "user", content: "Hi" }];
const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "Hi" }];

const store = await createResponsesStore<OpenAIStoreTypes>({ url: process.env.DATABASE_URL ?? "file:./consumer.db" });
try {
  await store.storeResponseObject(response, input, messages);
  const stored: OpenAI.Responses.Response = await store.getResponseObject(response.id);
  assert.equal(stored.output_text, "Hello!");
  const page = await store.listResponses({ limit: 10 });
  const first: OpenAI.Responses.Response | undefined = page.data[0];
  assert.equal(first?.id, response.id);
  const items = await store.listResponseInputItems(response.id);
  assert.match(items.data[0]?.id ?? "", /^msg_/);
  await store.getResponseObject("resp_missing").then(
    () => assert.fail("a missing response was found"),
    (error: unknown) => assert.ok(isResponsesStoreError(error, "RESPONSE_NOT_FOUND")),
  );
  console.log("consumer (ESM): store, get, list and input items ok");
} finally {
  await store.shutdown();
}
