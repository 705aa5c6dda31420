/**
 * What the mariadb driver's pipelining would gain the store on MySQL/MariaDB, which runs without
 * it (it crashed the process under Galera's multi-primary writes): 64 concurrent callers making
 * the statements the store makes (one-row prepared INSERTs of ~4 KB, and gets by primary key)
 * on raw pools with pipelining on and off, and the store's own queue beside them. Needs
 * TEST_MYSQL_URL (a fresh database is created and dropped). BENCH_WRITES sets the calls per
 * measurement (default 6400). A benchmark, not a test.
 */
import mariadb from "mariadb";
import { mysqlConfig } from "../src/db/providers.js";
import type { ResponseObject } from "../src/index.js";
import { PROVIDERS, freshDatabase } from "../test/support/databases.js";
import { built } from "./built.js";
import { closedLoop } from "./closed-loop.js";

const { createResponsesStore } = built;
const CALLS = Number(process.env.BENCH_WRITES ?? 6400);
const CALLERS = 64;
const ROUNDS = 3;
const provider = PROVIDERS.find((p) => p.name === "mysql");

const response = (id: string): ResponseObject => ({
  id,
  object: "response",
  created_at: 1_732_406_400,
  model: "gpt-4o",
  status: "completed",
  output: [
    {
      type: "message",
      id: "msg_out",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "lorem ipsum ".repeat(330), annotations: [] }],
    },
  ],
});

/** Calls/s of `call` made CALLS times by CALLERS concurrent callers. */
const callers = (call: (i: number) => Promise<unknown>) => closedLoop(CALLS, CALLERS, call);

if (!provider) {
  console.log("pipelining benchmark skipped: set TEST_MYSQL_URL to run it on MySQL/MariaDB");
} else {
  const db = await freshDatabase(provider);
  const store = await createResponsesStore({ url: db.url, pool: { max: 8 } });
  const pools = Object.fromEntries(
    [true, false].map((pipelining) => [
      String(pipelining),
      mariadb.createPool({ ...mysqlConfig(db.url), connectionLimit: 8, pipelining, prepareCacheLength: 256 }),
    ]),
  );
  const insert = (pool: mariadb.Pool, id: string) =>
    pool.execute("INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES (?, ?, ?, ?, '')", [
      id,
      1_732_406_400,
      JSON.stringify(response(id)),
      "gpt-4o",
    ]);
  const get = (pool: mariadb.Pool, i: number) =>
    pool.execute("SELECT response_object FROM openai_responses WHERE id = ?", [`w_true_warm_${i % 1000}`]);
  const paths: [string, (round: string) => Promise<number>][] = [
    ["raw mariadb, pipelining on: one INSERT per call", (r) => callers((i) => insert(pools.true!, `w_true_${r}_${i}`))],
    ["raw mariadb, pipelining off: one INSERT per call", (r) => callers((i) => insert(pools.false!, `w_false_${r}_${i}`))],
    ["raw mariadb, pipelining on: get by id", () => callers((i) => get(pools.true!, i))],
    ["raw mariadb, pipelining off: get by id", () => callers((i) => get(pools.false!, i))],
    ["store (pipelining off), write queue", (r) => callers((i) => store.storeResponseObject(response(`s_${r}_${i}`), []))],
  ];
  try {
    for (const [, run] of paths) await run("warm");
    const seconds = paths.map(() => 0);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [k, [, run]] of paths.entries()) seconds[k]! += CALLS / (await run(String(round)));
    }
    console.log(`MySQL/MariaDB, ${CALLERS} concurrent callers, ${ROUNDS} rounds of ${CALLS} calls per path\n`);
    const width = Math.max(...paths.map(([n]) => n.length));
    const rates = paths.map(([name], k) => [name, (CALLS * ROUNDS) / seconds[k]!] as const);
    for (const [name, rate] of rates) console.log(`${name.padEnd(width)}  ${Math.round(rate).toLocaleString("en-US").padStart(7)} calls/s`);
    const gain = (on: number, off: number) => `${(((rates[on]![1] - rates[off]![1]) / rates[off]![1]) * 100).toFixed(0)}%`;
    console.log(`\npipelining would gain: inserts ${gain(0, 1)}, gets ${gain(2, 3)}`);
  } finally {
    await store.shutdown();
    await Promise.all(Object.values(pools).map((p) => p.end()));
    await db.drop();
  }
}
