import { createResponsesStore } from "../src/index.js";
import { makeResponse, userMessage, alice } from "../test/support/fixtures.js";
const store = await createResponsesStore({ url: "file:/tmp/t6.db", queue: { concurrency: 4, batchSize: 3 } });
const a = store.storeResponseObject(makeResponse({ id: "resp_same", status: "s0" }), [userMessage("first")], [], { user: alice }).then(() => console.log("a done"));
const b = store.updateResponseObject(makeResponse({ id: "resp_same", status: `s1` }), { user: alice }).then(() => console.log("b done"), (e) => console.log("1", String(e)));
await Promise.all([a, b]);
await store.shutdown();
