import mariadb from "mariadb";
const pool = mariadb.createPool({ host: "127.0.0.1", user: "root", database: "scratch3", connectionLimit: 2 });
const T = "openai_responses";
const meta = `WITH RECURSIVE chain (id, parent_id, input_start, messages_start, step) AS (SELECT ${T}.id, ${T}.parent_id, ${T}.input_start, ${T}.messages_start, 0 FROM ${T} WHERE ${T}.id = 'r1000' UNION ALL SELECT pa.id, pa.parent_id, pa.input_start, pa.messages_start, c.step + 1 FROM ${T} pa JOIN chain c ON pa.id = c.parent_id WHERE (c.input_start > 0 OR c.messages_start > 0) AND c.step <= 999)`;
const qs: [string, string][] = [
  ["meta", `${meta} SELECT c.id FROM chain c`],
  ["join", `${meta} SELECT c.id, c.parent_id, c.input_start, c.messages_start, ${T}.response_object FROM chain c JOIN ${T} ON ${T}.id = c.id`],
  ["raw", `SELECT response_object FROM ${T} WHERE id = 'r1000'`],
];
for (let r = 0; r < 2; r++) for (const [n, q] of qs) {
  await pool.query({ sql: q, rowsAsArray: true });
  const s = performance.now();
  for (let i = 0; i < 20; i++) await pool.query({ sql: q, rowsAsArray: true });
  console.log(n, ((performance.now() - s) / 20).toFixed(2));
}
await pool.end();
const pool2 = mariadb.createPool({ host: "127.0.0.1", user: "root", database: "scratch3", connectionLimit: 2 });
const ids = (await pool2.query({ sql: qs[0]![1], rowsAsArray: true })) as string[][];
const inq = `SELECT id, parent_id, input_start, messages_start, response_object FROM ${T} WHERE id IN (${ids.map(() => "?").join(",")})`;
for (let r = 0; r < 2; r++) {
  const s = performance.now();
  for (let i = 0; i < 20; i++) await pool2.query({ sql: inq, rowsAsArray: true }, ids.map((x) => x[0]));
  console.log("in-list", ((performance.now() - s) / 20).toFixed(2));
}
const s2 = performance.now();
for (let i = 0; i < 20; i++) await pool2.query({ sql: `SELECT response_object FROM ${T} WHERE id >= 'r1' LIMIT 1000`, rowsAsArray: true });
console.log("scan 1000", ((performance.now() - s2) / 20).toFixed(2));
console.log(await pool2.query(`EXPLAIN ${qs[1]![1]}`));
await pool2.end();
