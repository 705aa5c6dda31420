/**
 * `npm run bench`: store and get throughput through ResponsesStore next to the raw driver doing
 * the same work (same ~4 KB response JSON, same upsert / select by id), per database. SQLite
 * always; PostgreSQL and MySQL/MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL are set (each
 * run uses a fresh database it drops afterwards). BENCH_OPS sets the operations per
 * measurement (default 2000). It measures the built package (dist/), as users run it.
 * A benchmark, not a test: it asserts nothing.
 */
import type { ResponseObject } from "../src/index.js";
import { built } from "./built.js";
import { openRaw } from "./raw-driver.js";

const { createResponsesStore } = built;
import { PROVIDERS, SKIPPED, freshDatabase } from "../test/support/databases.js";

const OPS = Number(process.env.BENCH_OPS ?? 2000);
const CONCURRENCY = 16;

function response(i: number): ResponseObject {
  return {
    id: `resp_bench_${i}`,
    object: "response",
    created_at: 1_732_406_400 + (i % 97),
    model: "gpt-4o",
    status: "completed",
    output: [
      {
        type: "message",
        id: `msg_${i}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "lorem ipsum ".repeat(160), annotations: [] }],
      },
    ],
    usage: { input_tokens: 10, output_tokens: 400, total_tokens: 410 },
  };
}
const input = [{ type: "message", role: "user" as const, id: "msg_in", content: [{ type: "input_text", text: "question ".repeat(80) }] }];
const messages = [{ role: "user" as const, content: "question ".repeat(20) }];

function blob(i: number) {
  return JSON.stringify({ ...response(i), input, messages });
}

/** Rounds each measurement is split into, alternating store and raw driver. */
const ROUNDS = 4;

/**
 * Operations per second of `viaStore` and `viaRaw`, OPS operations each, `concurrency` in
 * flight, run in alternating rounds so that neither side always meets the bigger table, the
 * longer WAL or the warmer cache.
 */
async function compare(
  viaStore: (i: number) => Promise<unknown>,
  viaRaw: (i: number) => Promise<unknown>,
  concurrency: number,
  offset = 0,
  count = OPS,
): Promise<[number, number]> {
  const ms = [0, 0];
  const per = Math.ceil(count / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [side, op] of [viaStore, viaRaw].entries()) {
      let next = round * per;
      const end = Math.min(count, next + per);
      const start = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < end) await op(offset + next++);
        }),
      );
      ms[side]! += performance.now() - start;
    }
  }
  return [count / (ms[0]! / 1000), count / (ms[1]! / 1000)];
}

/** The goals for some rows: raw/store at most this. */
const GOALS: Record<string, number> = {
  "SQLite|store, 1 at a time": 1.5,
  "MySQL/MariaDB|get by id, 16 concurrent": 1.5,
};

const rows: string[][] = [];
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
/** Set in the child process that measures one provider. */
const ONLY = process.env.BENCH_ONLY_PROVIDER;

if (!ONLY) {
  // Each database in a process of its own, as an app runs: one process measuring all three
  // would run the store's shared code (SQL building, the repository) on three dialects, and the
  // JIT's mixed type feedback would slow the later ones (seen: MySQL gets 1.3x alone, 1.7x after
  // PostgreSQL in the same process).
  console.log(
    `openai-responses-store benchmark: ${OPS} ops per measurement, ~${(blob(0).length / 1024).toFixed(1)} KB per response, Node ${process.version}`,
  );
  if (SKIPPED.length) console.log(`skipped: ${SKIPPED.join("; ")}`);
  const { execFileSync } = await import("node:child_process");
  for (const provider of PROVIDERS) {
    const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!], {
      env: { ...process.env, BENCH_ONLY_PROVIDER: provider.name },
      encoding: "utf8",
    });
    rows.push(...(JSON.parse(out.trim().split("\n").at(-1)!) as string[][]));
  }
}

for (const provider of PROVIDERS.filter((p) => p.name === ONLY)) {
  const db = await freshDatabase(provider);
  const store = await createResponsesStore({ url: db.url });
  const driver = await openRaw(provider.name, db.url);
  const raw = {
    store: (i: number) => driver.upsert(`raw_${i}`, 1_732_406_400 + (i % 97), blob(i)),
    get: (i: number) => driver.get(`raw_${i}`),
    close: () => driver.close(),
  };
  const storeOp = (i: number) => store.storeResponseObject(response(i), input, messages);
  const getOp = (i: number) => store.getResponseObject(`resp_bench_${i % OPS}`);
  try {
    // Warm up both paths until the JIT has compiled them (validation, SQL building, drivers),
    // so that what is measured is the steady state.
    for (let i = 0; i < 1000; i++) {
      await storeOp(OPS * 10 + i);
      await raw.store(OPS * 10 + i);
      await store.getResponseObject(`resp_bench_${OPS * 10 + i}`);
      await raw.get(OPS * 10 + i);
    }
    const rawGet = (i: number) => raw.get(i % OPS);
    const cases: [string, () => Promise<[number, number]>][] = [
      ["store, 1 at a time", () => compare(storeOp, raw.store, 1)],
      [`store, ${CONCURRENCY} concurrent`, () => compare(storeOp, raw.store, CONCURRENCY, OPS)],
      // Gets are ~10x faster than stores: 5x as many, so that each measurement lasts long enough.
      ["get by id, 1 at a time", () => compare(getOp, rawGet, 1, 0, OPS * 5)],
      [`get by id, ${CONCURRENCY} concurrent`, () => compare(getOp, rawGet, CONCURRENCY, 0, OPS * 5)],
    ];
    for (const [name, run] of cases) {
      const [s, r] = await run();
      const goal = GOALS[`${provider.label}|${name}`];
      const verdict = goal === undefined ? "" : `<= ${goal}x ${r / s <= goal ? "met" : "MISSED"}`;
      rows.push([provider.label, name, fmt(s), fmt(r), (r / s).toFixed(2) + "x", verdict]);
    }
  } finally {
    await store.shutdown();
    await raw.close();
    await db.drop();
  }
}

if (ONLY) {
  console.log(JSON.stringify(rows));
  process.exit(0);
}

const header = ["database", "operation", "store ops/s", "raw driver ops/s", "raw/store", "goal"];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (r: string[]) => r.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ");
console.log("\n" + line(header) + "\n" + widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));
