import { createResponsesStore } from "../src/index.js";
import { makeResponse, userMessage, alice } from "../test/support/fixtures.js";
const store = await createResponsesStore({ url: "file:/tmp/t2.db", queue: { concurrency: 4, batchSize: 3 } });
const messages: any[] = [];
const calls: Promise<void>[] = [store.storeResponseObject(makeResponse({ id: "resp_same", status: "s0" }), [userMessage("first")], messages, { user: alice })];
for (let i = 1; i < 40; i++) {
  const p = i % 3 === 0
      ? store.storeResponseObject(makeResponse({ id: "resp_same", status: `s${i}` }), [userMessage(`in${i}`)], messages, { user: alice })
      : store.updateResponseObject(makeResponse({ id: "resp_same", status: `s${i}` }), { user: alice });
  p.catch((e) => console.log(i, String(e)));
  calls.push(p);
  calls.push(store.storeResponseObject(makeResponse({ id: `resp_other_${i}` }), [], [], { user: alice }));
}
console.log((await store.getResponseObject("resp_same", { user: alice })).status);
await Promise.allSettled(calls);
console.log((await store.getResponseObject("resp_same", { user: alice })).status);
await store.shutdown();
