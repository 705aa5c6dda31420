import { createHash, randomBytes } from "node:crypto";
import { checkJsonValue } from "../src/schemas/json.js";
const txt = (n: number) => randomBytes(n).toString("base64").slice(0, n);
const items: unknown[] = [];
for (let t = 0; t < 1000; t++) {
  items.push({ type: "message", role: "user", id: `msg_${t}`, content: [{ type: "input_text", text: txt(300) }] });
  items.push({ type: "message", role: "assistant", id: `out_${t}`, status: "completed", content: [{ type: "output_text", text: txt(1200), annotations: [], logprobs: [] }] });
}
for (let r = 0; r < 6; r++) {
  let t0 = performance.now();
  const s = JSON.stringify(items);
  const ts = performance.now() - t0;
  t0 = performance.now();
  createHash("sha256").update(s).digest("hex");
  const th = performance.now() - t0;
  t0 = performance.now();
  createHash("sha1").update(s).digest("hex");
  const th1 = performance.now() - t0;
  t0 = performance.now();
  checkJsonValue(items, { addIssue() {} } as never);
  const tc = performance.now() - t0;
  console.log({ stringify: ts.toFixed(2), sha256: th.toFixed(2), sha1: th1.toFixed(2), check: tc.toFixed(2) });
}
