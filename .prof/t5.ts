import { createResponsesStore } from "../src/index.js";
import { makeResponse, userMessage, alice } from "../test/support/fixtures.js";
import Database from "better-sqlite3";
const store = await createResponsesStore({ url: "file:/tmp/t5.db", queue: { concurrency: 4, batchSize: 3 } });
await store.storeResponseObject(makeResponse({ id: "resp_same", status: "s0" }), [userMessage("first")], [], { user: alice });
console.log(new Database("/tmp/t5.db").prepare("select id, deleted_at from openai_responses").all());
await store.shutdown();
