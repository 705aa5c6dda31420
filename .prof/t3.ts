import { createResponsesStore } from "../src/index.js";
import { makeResponse, userMessage, alice } from "../test/support/fixtures.js";
const store = await createResponsesStore({ url: "file:/tmp/t3.db" });
await store.storeResponseObject(makeResponse({ id: "resp_same", status: "s0" }), [userMessage("first")], [], { user: alice });
await store.updateResponseObject(makeResponse({ id: "resp_same", status: `s1` }), { user: alice }).catch((e) => console.log("1", String(e)));
await store.updateResponseObject(makeResponse({ id: "resp_same", status: `s2` }), { user: alice }).catch((e) => console.log("2", String(e)));
console.log((await store.getResponseObject("resp_same", { user: alice })).status);
await store.shutdown();
