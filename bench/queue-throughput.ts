/**
 * Write throughput on PostgreSQL with 64 concurrent writers storing ~4 KB responses:
 * through the store's write queue, next to (a) one INSERT per call with no queue (the
 * reference's path), both raw and through the store with its queue off, and (b) raw `pg`
 * multi-row INSERTs of 100 rows, 4 at a time (the ceiling a batching queue can approach).
 * Needs TEST_POSTGRES_URL (a fresh database is created and dropped). BENCH_WRITES sets the
 * number of writes per measurement (default 6400). A benchmark, not a test.
 */
import pg from "pg";
import { createResponsesStore, type ResponseObject } from "../dist/index.js";
import { PROVIDERS, freshDatabase } from "../test/support/databases.js";

const WRITES = Number(process.env.BENCH_WRITES ?? 6400);
const WRITERS = 64;
const provider = PROVIDERS.find((p) => p.name === "postgresql");

function response(prefix: string, i: number): ResponseObject {
  return {
    id: `${prefix}_${i}`,
    object: "response",
    created_at: 1_732_406_400 + (i % 100),
    model: "gpt-4o",
    status: "completed",
    output: [{ type: "message", id: `msg_${i}`, role: "assistant", status: "completed", content: [{ type: "output_text", text: "lorem ipsum ".repeat(250), annotations: [] }] }],
  };
}
const input = [{ type: "message", role: "user" as const, id: "msg_in", content: [{ type: "input_text", text: "question ".repeat(60) }] }];
const blob = (prefix: string, i: number) => JSON.stringify({ ...response(prefix, i), input, messages: [] });

/** Writes/s of `write` called WRITES times by WRITERS concurrent writers. */
async function writers(write: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < WRITES) await write(next++);
    }),
  );
  return WRITES / ((performance.now() - start) / 1000);
}

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
    await pool.query(`INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES ${values.join(", ")}`, args);
  };
  try {
    // warm-up
    await writers((i) => (i < 300 ? queued.storeResponseObject(response("warm", i), input) : Promise.resolve()));
    const results: [string, number][] = [];
    results.push(["store with write queue (batches of <=100, 4 workers)", await writers((i) => queued.storeResponseObject(response("q", i), input))]);
    const stats = queued.stats()!;
    results.push(["(a) raw pg: one INSERT per call, no queue (the reference's path)", await writers((i) => insertOne("a", i))]);
    results.push(["(a') store with the queue off: one upsert per call", await writers((i) => direct.storeResponseObject(response("d", i), input))]);
    let nextBatch = 0;
    const startB = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (nextBatch < WRITES) {
          const from = nextBatch;
          nextBatch += 100;
          await insertMany("b", from, Math.min(from + 100, WRITES));
        }
      }),
    );
    results.push(["(b) raw pg: multi-row INSERTs of 100 rows, 4 at a time", WRITES / ((performance.now() - startB) / 1000)]);

    console.log(`PostgreSQL, ${WRITERS} concurrent writers, ${WRITES} writes of ~${(blob("x", 0).length / 1024).toFixed(1)} KB each\n`);
    const width = Math.max(...results.map(([n]) => n.length));
    for (const [name, rate] of results) console.log(`${name.padEnd(width)}  ${Math.round(rate).toLocaleString("en-US").padStart(7)} writes/s`);
    const [q, a, , b] = results.map(([, r]) => r) as [number, number, number, number];
    console.log(`\nqueue vs (a): ${(q / a).toFixed(1)}x (goal >= 5x); queue vs (b): ${((q / b) * 100).toFixed(0)}% (goal >= 50%)`);
    console.log(`queue: ${stats.batches} batches, mean ${(stats.rowsInBatches / stats.batches).toFixed(1)} rows, max ${stats.maxBatchSize}; mean latency ${stats.meanLatencyMs.toFixed(1)} ms, max ${stats.maxLatencyMs.toFixed(0)} ms; retries ${stats.retries}`);
  } finally {
    await queued.shutdown();
    await direct.shutdown();
    await pool.end();
    await db.drop();
  }
}
