/**
 * Response events, per database: how many events a second one writer appends (in calls of 1 and
 * of 20, as a server flushes its deltas), and how long a follower waiting on a second store instance
 * takes to get an event from the moment its append starts (PostgreSQL wakes followers by LISTEN/NOTIFY; SQLite
 * and MySQL/MariaDB poll every 100 ms). SQLite always; PostgreSQL and MySQL/MariaDB when
 * TEST_POSTGRES_URL / TEST_MYSQL_URL are set. BENCH_EVENTS sets the events per measurement
 * (default 2,000). A benchmark, not a test.
 */
import { built } from "./built.js";
import { PROVIDERS, SKIPPED, freshDatabase } from "../test/support/databases.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const FOLLOWS = 40;
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const delta = (n: number) => ({
  type: "response.output_text.delta",
  sequence_number: n,
  item_id: "msg_1",
  output_index: 0,
  content_index: 0,
  delta: "token ",
});
const response = (id: string) => ({
  id,
  object: "response",
  created_at: Math.floor(Date.now() / 1000),
  model: "gpt-4o",
  status: "in_progress",
  background: true,
  output: [],
});

/** Events per second appended to one response, `per` events a call. */
async function appendRate(store: Awaited<ReturnType<typeof built.createResponsesStore>>, id: string, per: number): Promise<number> {
  await store.storeResponseObject(response(id) as never, []);
  const start = performance.now();
  for (let n = 0; n < EVENTS; n += per) {
    await store.appendResponseEvents(
      id,
      Array.from({ length: per }, (_, k) => delta(n + k)),
    );
  }
  return EVENTS / ((performance.now() - start) / 1000);
}

/** Median and 95th-percentile ms from an append starting to a waiting follower on another instance getting it. */
async function followLatency(
  writer: Awaited<ReturnType<typeof built.createResponsesStore>>,
  follower: Awaited<ReturnType<typeof built.createResponsesStore>>,
): Promise<[number, number]> {
  await writer.storeResponseObject(response("resp_follow") as never, []);
  await writer.appendResponseEvents("resp_follow", [delta(0)]);
  const events = await follower.responseEvents("resp_follow", { startingAfter: 0 });
  const samples: number[] = [];
  for (let n = 1; n <= FOLLOWS; n++) {
    const seen = events.next(); // the follower waits for the next event
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 50)); // an append at any moment of its wait
    const start = performance.now();
    await writer.appendResponseEvents("resp_follow", [delta(n)]);
    await seen;
    samples.push(performance.now() - start);
  }
  await events.return?.();
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(samples.length / 2)]!, samples[Math.floor(samples.length * 0.95)]!];
}

console.log(`Response events: ${EVENTS} appended per measurement, ${FOLLOWS} follows (median ms, p95 ms)`);
if (SKIPPED.length) console.log(`SKIPPED providers: ${SKIPPED.join("; ")}`);
const rows: string[] = [];
for (const provider of PROVIDERS) {
  const db = await freshDatabase(provider);
  try {
    const writer = await built.createResponsesStore({ url: db.url, logger: silent });
    const follower = await built.createResponsesStore({ url: db.url, logger: silent });
    try {
      const one = await appendRate(writer, "resp_one", 1);
      const twenty = await appendRate(writer, "resp_twenty", 20);
      const [median, p95] = await followLatency(writer, follower);
      const how = provider.name === "postgresql" ? "LISTEN/NOTIFY" : "poll every 100 ms";
      rows.push(`| ${provider.label} | ${Math.round(one)} | ${Math.round(twenty)} | ${median.toFixed(1)} | ${p95.toFixed(1)} | ${how} |`);
    } finally {
      await follower.shutdown();
      await writer.shutdown();
    }
  } finally {
    await db.drop();
  }
}
console.log("| database | events/s, 1 per call | events/s, 20 per call | follow median ms | follow p95 ms | wake-up |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
