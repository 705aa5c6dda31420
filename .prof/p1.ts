import { randomBytes } from "node:crypto";
import { createResponsesStore } from "../src/index.js";
const text = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString("base64").slice(0, bytes);
const store = await createResponsesStore({ url: "file:/tmp/p1.db" });
let input: any[] = []; let messages: any[] = []; let previous: string | null = null;
const user = { principal: "chat" };
const t0 = Date.now();
for (let t = 1; t <= 1000; t++) {
  const q = text(300), a = text(1200);
  input = [...input, { type: "message", role: "user", id: `in${t}`, content: [{ type: "input_text", text: q }] }];
  messages = [...messages, { role: "user", content: q }];
  const response: any = { id: `r${t}`, object: "response", created_at: 1000 + t, model: "gpt-4o", status: "completed", previous_response_id: previous, output: [{ type: "message", id: `o${t}`, role: "assistant", status: "completed", content: [{ type: "output_text", text: a, annotations: [] }] }] };
  await store.storeResponseObject(response, input, messages, { user });
  input = [...input, ...response.output]; messages = [...messages, { role: "assistant", content: a }]; previous = response.id;
}
console.log("built", Date.now() - t0);
const { performance } = await import("node:perf_hooks");
for (let i = 0; i < 20; i++) await store.getResponseObject("r1000", { user });
let s = performance.now();
for (let i = 0; i < 20; i++) await store.getResponseObject("r1000", { user });
console.log("get", (performance.now() - s) / 20);
await store.shutdown();
