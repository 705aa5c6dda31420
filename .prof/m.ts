import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { inputItemSchema } from "../src/schemas/input-item.js";
import { checkJsonValue } from "../src/schemas/json.js";
const txt = (n: number) => randomBytes(n).toString("base64").slice(0, n);
const items: unknown[] = [];
for (let t = 0; t < 1000; t++) {
  items.push({ type: "message", role: "user", id: `msg_${t}`, content: [{ type: "input_text", text: txt(300) }] });
  items.push({ type: "message", role: "assistant", id: `out_${t}`, status: "completed", content: [{ type: "output_text", text: txt(1200), annotations: [], logprobs: [] }] });
}
const schema = z.array(inputItemSchema).superRefine((v, ctx) => void checkJsonValue(v, ctx));
for (let r = 0; r < 5; r++) {
  let t0 = performance.now();
  schema.safeParse(items);
  const tz = performance.now() - t0;
  t0 = performance.now();
  const h = createHash("sha256");
  for (const it of items) { h.update(JSON.stringify(it)); h.update("\n"); }
  h.digest("hex");
  const th = performance.now() - t0;
  t0 = performance.now();
  const s = JSON.stringify(items);
  const ts = performance.now() - t0;
  console.log({ zod: tz.toFixed(2), hash: th.toFixed(2), stringifyAll: ts.toFixed(2), mb: s.length / 1e6 });
}
