/**
 * Expiry beside the app's writes, per database: the latency of single stores (one writer, one at
 * a time) while nothing expires, and while the retention reaper of a second store instance
 * deletes a backlog of old responses in its default batches (the writes go on until it is done);
 * and how fast it deletes them.
 * SQLite always; PostgreSQL and MySQL/MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL are set.
 * BENCH_EXPIRY_BACKLOG sets the old responses (default 30,000). A benchmark, not a test.
 */
import { built } from "./built.js";
import { PROVIDERS, SKIPPED, freshDatabase } from "../test/support/databases.js";

const BACKLOG = Number(process.env.BENCH_EXPIRY_BACKLOG ?? 30_000);
const WRITES = 400; // while nothing expires
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const response = (id: string, created_at: number) => ({
  id,
  object: "response",
  created_at,
  model: "gpt-4o",
  status: "completed",
  output: [
    {
      type: "message",
      id: `msg_${id}`,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "x".repeat(800), annotations: [] }],
    },
  ],
});
type Store = Awaited<ReturnType<typeof built.createResponsesStore>>;

/** Median and 99th-percentile ms, and the count, of stores one after another: WRITES of them, or (with `until`) until it says so. */
async function writeLatency(store: Store, prefix: string, until?: () => boolean): Promise<[number, number, number]> {
  const samples: number[] = [];
  for (let i = 0; until ? !until() : i < WRITES; i++) {
    const start = performance.now();
    await store.storeResponseObject(response(`${prefix}${i}`, Math.floor(Date.now() / 1000)) as never, [
      { type: "message", role: "user", content: [{ type: "input_text", text: "q".repeat(300) }] },
    ]);
    samples.push(performance.now() - start);
    // As an app's writes arrive (from I/O), not in one unbroken chain of promises: on SQLite the
    // store is synchronous underneath, and such a chain would never let a timer run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(samples.length / 2)]!, samples[Math.floor(samples.length * 0.99)]!, samples.length];
}

console.log(`Expiry: ${BACKLOG} old responses deleted by the reaper while one writer stores, one at a time`);
if (SKIPPED.length) console.log(`SKIPPED providers: ${SKIPPED.join("; ")}`);
const rows: string[] = [];
for (const provider of PROVIDERS) {
  const db = await freshDatabase(provider);
  try {
    const writer = await built.createResponsesStore({ url: db.url, logger: silent, queue: { enabled: false } });
    try {
      const old = Array.from({ length: BACKLOG }, (_, i) => ({
        response: response(`resp_old${i}`, 1000 + i) as never,
        input: [],
        owner: null,
      }));
      for (let i = 0; i < old.length; i += 500) await writer.importResponses(old.slice(i, i + 500));
      const quiet = await writeLatency(writer, "resp_quiet");
      const reaper = await built.createResponsesStore({ url: db.url, logger: silent, retention: { responses: "1h", every: "1s" } });
      const started = performance.now();
      // Writes go on until the reaper has deleted the whole backlog: every one of them overlaps it.
      const expired = () => reaper.stats()?.retention?.expired ?? 0;
      let seconds = 0;
      const busy = await writeLatency(writer, "resp_busy", () => {
        if (expired() < BACKLOG) return false;
        seconds ||= (performance.now() - started) / 1000;
        return true;
      });
      await reaper.shutdown();
      rows.push(
        `| ${provider.label} | ${quiet[0].toFixed(2)} / ${quiet[1].toFixed(2)} | ${busy[0].toFixed(2)} / ${busy[1].toFixed(2)} | ${busy[2]} | ${Math.round(BACKLOG / seconds)} |`,
      );
    } finally {
      await writer.shutdown();
    }
  } finally {
    await db.drop();
  }
}
console.log(
  "| database | store ms, nothing expiring (median / p99) | store ms, reaper deleting (median / p99) | stores while it deleted | expired/s |",
);
console.log("|---|---|---|---|---|");
for (const row of rows) console.log(row);
