import Database from "better-sqlite3";
const db = new Database("/tmp/p1.db");
const q1 = db.prepare(`WITH RECURSIVE chain (id, parent_id, input_start, messages_start, response_object, step) AS (SELECT t.id, t.parent_id, t.input_start, t.messages_start, t.response_object, 0 FROM openai_responses t WHERE t.id = 'r1000' UNION ALL SELECT pa.id, pa.parent_id, pa.input_start, pa.messages_start, pa.response_object, c.step + 1 FROM openai_responses pa JOIN chain c ON pa.id = c.parent_id WHERE (c.input_start > 0 OR c.messages_start > 0) AND c.step <= 999) SELECT id, parent_id, input_start, messages_start, response_object FROM chain`).raw(true);
const q2 = db.prepare(`WITH RECURSIVE chain (id, parent_id, input_start, messages_start, step) AS (SELECT t.id, t.parent_id, t.input_start, t.messages_start, 0 FROM openai_responses t WHERE t.id = 'r1000' UNION ALL SELECT pa.id, pa.parent_id, pa.input_start, pa.messages_start, c.step + 1 FROM openai_responses pa JOIN chain c ON pa.id = c.parent_id WHERE (c.input_start > 0 OR c.messages_start > 0) AND c.step <= 999) SELECT id FROM chain`).raw(true);
const q3 = db.prepare(`SELECT response_object FROM openai_responses WHERE id = 'raw'`).raw(true);
for (const [n, q] of [["blob", q1], ["meta", q2], ["raw", q3]] as const) {
  q.all();
  const s = performance.now();
  for (let i = 0; i < 20; i++) q.all();
  console.log(n, ((performance.now() - s) / 20).toFixed(2));
}
console.log(db.prepare("EXPLAIN QUERY PLAN " + q1.source).all());
const ids = (q2.all() as unknown[][]).map((r) => r[0] as string);
const q4 = db.prepare(`SELECT id, parent_id, input_start, messages_start, response_object FROM openai_responses WHERE id IN (${ids.map(() => "?").join(",")})`).raw(true);
const q5 = db.prepare(`WITH RECURSIVE chain (id, parent_id, input_start, messages_start) AS (SELECT t.id, t.parent_id, t.input_start, t.messages_start FROM openai_responses t WHERE t.id = 'r1000' UNION SELECT pa.id, pa.parent_id, pa.input_start, pa.messages_start FROM openai_responses pa JOIN chain c ON pa.id = c.parent_id WHERE (c.input_start > 0 OR c.messages_start > 0)) SELECT c.id, c.parent_id, c.input_start, c.messages_start, t.response_object FROM chain c JOIN openai_responses t ON t.id = c.id`).raw(true);
for (const [n, q, a] of [["in-list", q4, ids], ["union+join", q5, []]] as const) {
  q.all(...a);
  const s = performance.now();
  for (let i = 0; i < 20; i++) q.all(...a);
  console.log(n, ((performance.now() - s) / 20).toFixed(2));
}
let s = performance.now();
for (let i = 0; i < 20; i++) for (const r of q4.all(...ids) as unknown[][]) JSON.parse(r[4] as string);
console.log("in-list+parse", ((performance.now() - s) / 20).toFixed(2));
s = performance.now();
for (let i = 0; i < 20; i++) JSON.parse((q3.all() as unknown[][])[0]![0] as string);
console.log("raw+parse", ((performance.now() - s) / 20).toFixed(2));
