/**
 * Write throughput on PostgreSQL with 64 concurrent writers storing ~4 KB responses:
 * through the store's write queue, next to (a) one INSERT per call with no queue (the
 * reference's path), both raw and through the store with its queue off, and (b) raw `pg`
 * multi-row INSERTs of 100 rows, 4 at a time (the ceiling a batching queue can approach).
 * Needs TEST_POSTGRES_URL (a fresh database is created and dropped). BENCH_WRITES sets the
 * number of writes per measurement (default 6400). A benchmark, not a test.
 */
import pg from "pg";
import type { ResponseObject } from "../src/index.js";
import { built } from "./built.js";
import { closedLoop } from "./closed-loop.js";

const { createResponsesStore } = built;
import { PROVIDERS, freshDatabase } from "../test/support/databases.js";

const WRITES = Number(process.env.BENCH_WRITES ?? 6400);
const WRITERS = 64;
/** Measured rounds; each runs every path once. */
const ROUNDS = 3;
const provider = PROVIDERS.find((p) => p.name === "postgresql");

function response(prefix: string, i: number): ResponseObject {
  return {
    id: `${prefix}_${i}`,
    object: "response",
    created_at: 1_732_406_400 + (i % 100),
    model: "gpt-4o",
    status: "completed",
    output: [
      {
        type: "message",
        id: `msg_${i}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "lorem ipsum ".repeat(250), annotations: [] }],
      },
    ],
  };
}
const input = [{ type: "message", role: "user" as const, id: "msg_in", content: [{ type: "input_text", text: "question ".repeat(60) }] }];
const blob = (prefix: string, i: number) => JSON.stringify({ ...response(prefix, i), input, messages: [] });

/** Writes/s of `write` called WRITES times by WRITERS concurrent writers. */
const writers = (write: (i: number) => Promise<unknown>) => closedLoop(WRITES, WRITERS, write);

if (!provider) {
  console.log("queue benchmark skipped: set TEST_POSTGRES_URL to run it on PostgreSQL");
} else {
  const db = await freshDatabase(provider);
  const queued = await createResponsesStore({ url: db.url, queue: { concurrency: 4, batchSize: 100 }, pool: { max: 8 } });
  const direct = await createResponsesStore({ url: db.url, queue: { enabled: false }, pool: { max: 8 } });
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  pool.on("error", () => {});
  const insertOne = (prefix: string, i: number) =>
    pool.query(`INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES ($1, $2, $3, $4, '')`, [
      `${prefix}_${i}`,
      1_732_406_400 + (i % 100),
      blob(prefix, i),
      "gpt-4o",
    ]);
  const insertMany = async (prefix: string, from: number, to: number) => {
    const values: string[] = [];
    const args: unknown[] = [];
    for (let i = from; i < to; i++) {
      const n = args.length;
      values.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, '')`);
      args.push(`${prefix}_${i}`, 1_732_406_400 + (i % 100), blob(prefix, i), "gpt-4o");
    }
    await pool.query(
      `INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES ${values.join(", ")}`,
      args,
    );
  };
  /** (b): WRITES rows in multi-row INSERTs of 100, 4 statements at a time. */
  const batches = async (prefix: string) => {
    let nextBatch = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (nextBatch < WRITES) {
          const from = nextBatch;
          nextBatch += 100;
          await insertMany(prefix, from, Math.min(from + 100, WRITES));
        }
      }),
    );
    return WRITES / ((performance.now() - start) / 1000);
  };
  const paths: [string, (round: string) => Promise<number>][] = [
    [
      "store with write queue (batches of <=100, 4 workers)",
      (r) => writers((i) => queued.storeResponseObject(response(`q${r}`, i), input)),
    ],
    ["(a) raw pg: one INSERT per call, no queue (the reference's path)", (r) => writers((i) => insertOne(`a${r}`, i))],
    ["(a') store with the queue off: one upsert per call", (r) => writers((i) => direct.storeResponseObject(response(`d${r}`, i), input))],
    ["(b) raw pg: multi-row INSERTs of 100 rows, 4 at a time", (r) => batches(`b${r}`)],
  ];
  try {
    // One unmeasured round warms the JIT, the pools and the server; then ROUNDS measured rounds
    // run every path in turn, so that none always meets the bigger table.
    for (const [, run] of paths) await run("warm");
    const before = queued.stats()!;
    const seconds = paths.map(() => 0);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [k, [, run]] of paths.entries()) seconds[k]! += WRITES / (await run(String(round)));
    }
    const results: [string, number][] = paths.map(([name], k) => [name, (WRITES * ROUNDS) / seconds[k]!]);
    const after = queued.stats()!;
    const stats = {
      batches: after.batches - before.batches,
      rowsInBatches: after.rowsInBatches - before.rowsInBatches,
      maxBatchSize: after.maxBatchSize,
      meanLatencyMs: after.meanLatencyMs,
      maxLatencyMs: after.maxLatencyMs,
      retries: after.retries,
    };

    console.log(
      `PostgreSQL, ${WRITERS} concurrent writers, ${ROUNDS} rounds of ${WRITES} writes of ~${(blob("x", 0).length / 1024).toFixed(1)} KB each per path\n`,
    );
    const width = Math.max(...results.map(([n]) => n.length));
    for (const [name, rate] of results)
      console.log(`${name.padEnd(width)}  ${Math.round(rate).toLocaleString("en-US").padStart(7)} writes/s`);
    const [q, a, , b] = results.map(([, r]) => r) as [number, number, number, number];
    const verdict = (met: boolean) => (met ? "met" : "MISSED");
    console.log(
      `\nqueue vs (a): ${(q / a).toFixed(2)}x (goal >= 2x: ${verdict(q / a >= 2)}); queue vs (b): ${((q / b) * 100).toFixed(0)}% (goal >= 60%: ${verdict(q / b >= 0.6)})`,
    );
    console.log(
      `queue: ${stats.batches} batches, mean ${(stats.rowsInBatches / stats.batches).toFixed(1)} rows, max ${stats.maxBatchSize}; mean latency ${stats.meanLatencyMs.toFixed(1)} ms, max ${stats.maxLatencyMs.toFixed(0)} ms; retries ${stats.retries}`,
    );
  } finally {
    await queued.shutdown();
    await direct.shutdown();
    await pool.end();
    await db.drop();
  }
}
