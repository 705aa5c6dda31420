// Consistency tokens on every provider: a token names the database it was made on; reads take
// it (and readFrom) beside `user`, refuse garbled tokens and tokens of another database with a
// ValidationError, and the HTTP handler takes it as x-consistency-token and sends the current
// one after a write. (Cross-instance reads under replica lag: test/db/replicas.test.ts.)
import { expect, test } from "vitest";
import { createResponsesHandler } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

describeProviders(PROVIDERS, "consistency tokens on $label", (provider) => {
  const stores = storeFactory(provider);
  const other = storeFactory(provider);

  test("every read takes a token of its database; garbled ones and another database's are ValidationErrors", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), [userMessage("m1")]);
    await store.storeConversationMessages("conv_1", [{ role: "user", content: "hi" }]);
    const consistencyToken = await store.consistencyToken();
    const second = await stores.open(); // another instance on the same database
    expect(await second.consistencyToken()).toMatch(/^ors1\./);
    const reads = (options: object) => [
      second.getResponseObject("resp_1", options),
      second.listResponses(options),
      second.listResponseInputItems("resp_1", options),
      second.getConversationMessages("conv_1", options),
      second.storageStats(options),
      second.ownerCounts(options),
    ];
    for (const outcome of await Promise.allSettled(reads({ consistencyToken }))) expect(outcome.status).toBe("fulfilled");
    for (const outcome of await Promise.allSettled(reads({ readFrom: "primary" }))) expect(outcome.status).toBe("fulfilled");

    const elsewhere = await (await other.open()).consistencyToken();
    for (const bad of [elsewhere, "ors1.zz", "garbage", 42, `${consistencyToken}0000000000000000`]) {
      for (const outcome of await Promise.allSettled(reads({ consistencyToken: bad }))) {
        expect(outcome).toMatchObject({ status: "rejected", reason: { code: "VALIDATION_FAILED", argument: "consistencyToken" } });
      }
    }
    await expect(second.getResponseObject("resp_1", { readFrom: "replica" as never })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      argument: "readFrom",
    });
  });

  test("over HTTP: a write answers with the current token; reads take it in x-consistency-token, a garbled one is a 400", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), []);
    await store.storeResponseObject(makeResponse({ id: "resp_2" }), []);
    const handler = createResponsesHandler(store);
    const deleted = await handler(new Request("http://localhost/v1/responses/resp_2", { method: "DELETE" }));
    expect(deleted.status).toBe(200);
    const token = deleted.headers.get("x-consistency-token");
    expect(token).toBe(await store.consistencyToken());
    const read = await handler(new Request("http://localhost/v1/responses/resp_1", { headers: { "x-consistency-token": token! } }));
    expect(read.status).toBe(200);
    const garbled = await handler(new Request("http://localhost/v1/responses", { headers: { "x-consistency-token": "nope" } }));
    expect(garbled.status).toBe(400);
    expect(await garbled.json()).toMatchObject({ error: { type: "invalid_request_error" } });
  });
});
