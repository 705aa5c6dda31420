import { createResponsesStore } from "../src/index.js";
import { makeResponse, userMessage } from "../test/support/fixtures.js";
const url = process.argv[2] ?? "file:/tmp/t1.db";
const store = await createResponsesStore({ url });
let input: any[] = [];
let messages: any[] = [];
let prev: string | undefined;
for (let t = 1; t <= 30; t++) {
  input = [...input, userMessage(`u${t}`)];
  messages = [...messages, { role: "user", content: `m${t}` }];
  const r = makeResponse({ id: `r${t}`, created_at: 1000 + t, previous_response_id: prev ?? null, output: [{ type: "message", id: `o${t}`, role: "assistant", status: "completed", content: [{ type: "output_text", text: `ans ${t}`, annotations: [] }] }] } as any);
  await store.storeResponseObject(r, input, messages);
  const got = await store.getResponseObject(`r${t}`);
  if (JSON.stringify(got.input) !== JSON.stringify(input) || JSON.stringify(got.messages) !== JSON.stringify(messages)) throw new Error(`mismatch at ${t}`);
  const page = await store.listResponseInputItems(`r${t}`, { limit: 3 });
  if (JSON.stringify(page.data) !== JSON.stringify([...input].reverse().slice(0, 3))) throw new Error(`page mismatch at ${t} ${JSON.stringify(page.data.map((d: any) => d.id))}`);
  input = [...input, ...r.output];
  messages = [...messages, { role: "assistant", content: `a${t}` }];
  prev = r.id;
}
console.log(await store.storageStats());
const l = await store.listResponses({ limit: 3 });
console.log(l.data.map((d) => [d.id, d.input.length]));
await store.deleteResponseObject("r15");
console.log((await store.getResponseObject("r30")).input.length, await store.storageStats());
await store.shutdown();
