import { createResponsesStore } from "../src/index.js";
import { makeResponse, userMessage, alice } from "../test/support/fixtures.js";
const store = await createResponsesStore({ url: "file:/tmp/t4.db", queue: { concurrency: 4, batchSize: 3 } });
const a = store.storeResponseObject(makeResponse({ id: "resp_same", status: "s0" }), [userMessage("first")], [], { user: alice });
const b = store.updateResponseObject(makeResponse({ id: "resp_same", status: `s1` }), { user: alice }).catch((e) => console.log("1", String(e)));
const c = store.storeResponseObject(makeResponse({ id: `resp_other_1` }), [], [], { user: alice });
await Promise.all([a, b, c]);
console.log((await store.getResponseObject("resp_same", { user: alice })).status);
await store.shutdown();
