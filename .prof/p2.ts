import { createResponsesStore } from "../src/index.js";
import Database from "better-sqlite3";
const store = await createResponsesStore({ url: "file:/tmp/p1.db" });
const user = { principal: "chat" };
const full = JSON.stringify(await store.getResponseObject("r1000", { user }));
const db = new Database("/tmp/p1.db");
db.prepare("insert or replace into openai_responses (id, created_at, response_object, model, owner_principal) values ('raw', 1, ?, 'm', '')").run(full);
const sel = db.prepare("select response_object from openai_responses where id = 'raw'");
for (let r = 0; r < 3; r++) {
  let s = performance.now();
  for (let i = 0; i < 20; i++) await store.getResponseObject("r1000", { user });
  const g = (performance.now() - s) / 20;
  s = performance.now();
  for (let i = 0; i < 20; i++) JSON.parse((sel.get() as any).response_object);
  console.log("get", g.toFixed(2), "raw", ((performance.now() - s) / 20).toFixed(2));
}
for (let i = 0; i < 100; i++) await store.getResponseObject("r1000", { user });
await store.shutdown();
