/**
 * Conversations at 10 and at 10,000 items, per database: does a page of items, or an Agents SDK
 * session's getItems(20), cost what it does on a 10-item conversation? And the bytes stored
 * against the items' own JSON. Items alternate a ~300-byte question and a ~1.2 KB answer of
 * incompressible text, as a chat's do. SQLite always; PostgreSQL and MySQL/MariaDB when
 * TEST_POSTGRES_URL / TEST_MYSQL_URL are set. BENCH_CONVERSATION_ITEMS sets the large size
 * (default 10,000), BENCH_CONVERSATION_ITERATIONS the reads per measurement (default 300). A
 * benchmark, not a test.
 */
import { randomBytes } from "node:crypto";
import type * as Agents from "../src/agents/index.js";
import { built } from "./built.js";
import { dialectFor, type ProviderName } from "../src/db/providers.js";
import { PROVIDERS, SKIPPED, freshDatabase } from "../test/support/databases.js";

const agents = (await import(new URL("../dist/agents/index.js", import.meta.url).href)) as typeof Agents;
const LARGE = Number(process.env.BENCH_CONVERSATION_ITEMS ?? 10_000);
const SMALL = 10;
const ITERATIONS = Number(process.env.BENCH_CONVERSATION_ITERATIONS ?? 300);
const GOAL = 1.5;
/** Items a measured page holds: as many as the small conversation has on either side of its middle. */
const PAGE = 5;
const BYTES_GOAL = 1.2;
const alice = { principal: "alice" };

/** Item n of a chat: a question, then an answer, each of text that does not compress. */
function item(n: number): Record<string, unknown> {
  const text = randomBytes(n % 2 ? 600 : 150).toString("hex");
  return n % 2
    ? { type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] }
    : { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

/**
 * Median milliseconds of each of `fns`, measured in alternating rounds (a round of each, then
 * again), so drift (caches, the collector) falls on all alike: the sizes are compared, not the
 * moments they ran in.
 */
async function timeAlternating(fns: (() => Promise<unknown>)[]): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < 30; i++) await fn();
  const rounds = 15;
  const per = Math.max(1, Math.round(ITERATIONS / rounds));
  const samples = fns.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      for (let i = 0; i < per; i++) await fn();
      samples[k]!.push((performance.now() - start) / per);
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]!);
}

/** The bytes of the conversation's stored item JSON, as the database measures its column. */
async function storedBytes(provider: ProviderName, url: string, id: string): Promise<number> {
  const length = {
    sqlite: "LENGTH(CAST(item AS BLOB))",
    postgresql: "OCTET_LENGTH(item::text)",
    mysql: "OCTET_LENGTH(CAST(item AS CHAR))",
  }[provider];
  const dialect = dialectFor(provider);
  const conn = await dialect.openRawConnection(url);
  try {
    const rows = await conn.query<{ n: unknown }>(
      `SELECT SUM(${length}) AS n FROM conversation_items WHERE conversation_id = ${dialect.param(1)}`,
      [id],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await conn.close();
  }
}

interface Measured {
  newestPage: number;
  deepPage: number;
  getItems: number;
  getItems20: number;
  append: number;
  bytesRatio: number;
}

/** A conversation of `size` items in `store`: its id, what reads measure on it, and its bytes ratio. */
async function conversationOf(
  store: Awaited<ReturnType<typeof built.createResponsesStore>>,
  provider: ProviderName,
  url: string,
  size: number,
) {
  const { id } = await store.conversations.create({ user: alice });
  let listedBytes = 0;
  for (let n = 0; n < size; n += 1000) {
    const added = await store.conversations.items.create(
      id,
      Array.from({ length: Math.min(1000, size - n) }, (_, i) => item(n + i)),
      { user: alice },
    );
    for (const listed of added.data) listedBytes += Buffer.byteLength(JSON.stringify(listed));
  }
  const bytesRatio = (await storedBytes(provider, url, id)) / listedBytes;
  // The id halfway back, newest first.
  let middle: string | undefined;
  for (let seen = 0; seen < size / 2; seen += 100) {
    middle = (await store.conversations.items.list(id, { user: alice, limit: Math.min(100, size / 2 - seen), after: middle })).last_id!;
  }
  const session = new agents.ResponsesStoreSession({ store, sessionId: id, user: alice });
  let turn = 0;
  return {
    bytesRatio,
    reads: {
      // Pages of 5, so both sizes return as many items (a 10-item conversation has 5 after its middle).
      newestPage: () => store.conversations.items.list(id, { user: alice, limit: PAGE }),
      deepPage: () => store.conversations.items.list(id, { user: alice, limit: PAGE, after: middle! }),
      getItems: () => session.getItems(PAGE),
      getItems20: () => session.getItems(20),
      append: () => store.conversations.items.create(id, [item(turn++), item(turn++)], { user: alice }),
    },
  };
}

/** Both sizes in one database, each read measured on both in alternating rounds. */
async function measure(provider: ProviderName, url: string): Promise<[Measured, Measured]> {
  const store = await built.createResponsesStore({ url, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    const small = await conversationOf(store, provider, url, SMALL);
    const large = await conversationOf(store, provider, url, LARGE);
    const out = [{ bytesRatio: small.bytesRatio }, { bytesRatio: large.bytesRatio }] as [Measured, Measured];
    for (const read of ["newestPage", "deepPage", "getItems", "getItems20", "append"] as const) {
      const [a, b] = await timeAlternating([small.reads[read], large.reads[read]]);
      out[0][read] = a!;
      out[1][read] = b!;
    }
    return out;
  } finally {
    await store.shutdown();
  }
}

console.log(
  `Conversations at ${SMALL} and ${LARGE.toLocaleString("en")} items (median ms of 15 alternating rounds, ${ITERATIONS} reads in all)`,
);
if (SKIPPED.length) console.log(`SKIPPED providers: ${SKIPPED.join("; ")}`);
const rows: string[] = [];
let met = true;
for (const provider of PROVIDERS) {
  const db = await freshDatabase(provider);
  let small: Measured, large: Measured;
  try {
    [small, large] = await measure(provider.name, db.url);
  } finally {
    await db.drop();
  }
  const ratio = (k: keyof Measured) => large[k] / small[k];
  const ok = ratio("newestPage") <= GOAL && ratio("deepPage") <= GOAL && ratio("getItems") <= GOAL && large.bytesRatio <= BYTES_GOAL;
  met &&= ok;
  const cell = (k: keyof Measured) => `${small[k].toFixed(2)} / ${large[k].toFixed(2)} (${ratio(k).toFixed(2)}x)`;
  rows.push(
    `| ${provider.label} | ${cell("newestPage")} | ${cell("deepPage")} | ${cell("getItems")} | ${cell("getItems20")} | ${cell("append")} | ${large.bytesRatio.toFixed(3)} | ${ok ? "met" : "MISSED"} |`,
  );
}
console.log(
  `| database (${SMALL} / ${LARGE.toLocaleString("en")} items) | newest ${PAGE} items | ${PAGE} items after the middle | session getItems(${PAGE}) | getItems(20) | append a turn (2 items) | stored / items' JSON | goal (<= ${GOAL}x, <= ${BYTES_GOAL}) |`,
);
console.log("|---|---|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
console.log(met ? "every goal met" : "a goal was MISSED (see the table)");
