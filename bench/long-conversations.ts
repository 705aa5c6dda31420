/**
 * `npm run bench`: long conversations against the raw floor, per database (issue 21). The same
 * BENCH_LONG_TURNS turns (default 10,000), a 300-byte question and a 1.2 KB answer a turn of
 * incompressible text, stored twice through the public API: from what each turn adds
 * (`storeTurn`, what a Responses server has in hand) and with the whole input and messages every
 * turn (`storeResponseObject`, previous_response_id set). Beside them, in the same process and
 * interleaved turn by turn, the raw floor: the provider's own driver, a turn's two messages as
 * two rows in one INSERT, one indexed SELECT to read. A conversation of 300 turns (fewer when
 * BENCH_LONG_TURNS is smaller) runs first the same way, unmeasured, so that the first marks
 * measure compiled code, not the JIT warming up. Prints:
 * - append a turn at 10, 100, 1,000 and 10,000 turns (median of the 9 turns nearest each), store /
 *   raw, and the last / turn 10, for each way of storing;
 * - stored bytes / bytes the turns added, at the last turn / at turn 100;
 * - the whole history of turn 1,000 on a store that remembers nothing / the raw read of its rows;
 * - the newest 20 input items of the last turn on a store that remembers nothing / the raw newest 20;
 * - storeTurn past the last turn, each turn on the instance that did not store the one before / raw.
 * SQLite always; PostgreSQL and MySQL/MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL are set,
 * each in a process of its own, on a fresh database dropped afterwards. BENCH_MESSAGE_REFERENCES=1
 * runs the stores with messageReferences on. Asserts nothing. Run on
 * a build without storeTurn (an earlier release), it measures the whole-list way only.
 */
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import mariadb from "mariadb";
import pg from "pg";
import type { InputItem } from "../src/index.js";
import { mysqlConfig, sqlitePath, type ProviderName } from "../src/db/providers.js";
import { PROVIDERS, SKIPPED, freshDatabase } from "../test/support/databases.js";
import { built } from "./built.js";
import { printPerProvider, type Row } from "./per-provider.js";
import { turnResponse } from "./turn-response.js";

const { createResponsesStore } = built;
const TURNS = Number(process.env.BENCH_LONG_TURNS ?? 10_000);
const MARKS = [10, 100, 1000, 10_000].filter((t) => t <= TURNS);
const REPEAT = 20;
/** Turns of the conversation run first, unmeasured, to warm the JIT up. */
const WARM_UP = Math.min(300, TURNS);
const ONLY = process.env.BENCH_ONLY_PROVIDER;
/** BENCH_MESSAGE_REFERENCES=1: the stores write messages that repeat items as references (messageReferences). */
const REFERENCES = process.env.BENCH_MESSAGE_REFERENCES === "1";
const storeOptions = (url: string) => ({ url, ...(REFERENCES ? { messageReferences: true } : {}) });

const text = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4))
    .toString("base64")
    .slice(0, bytes);
const json = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Milliseconds `fn` takes. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Median milliseconds of `a` and of `b` over `times` runs each, interleaved. */
async function medians(times: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < times; i++) {
    if (i % 2) (as.push(await timed(a)), bs.push(await timed(b)));
    else (bs.push(await timed(b)), as.push(await timed(a)));
  }
  const mid = (ms: number[]) => ms.sort((x, y) => x - y)[Math.floor(ms.length / 2)]!;
  return [mid(as), mid(bs)];
}

/** The raw floor: a conversation's messages as rows (conversation, position, role, text). */
interface RawMessages {
  /** One INSERT of a turn's two messages. */
  append(conversation: string, seq: number, question: string, answer: string): Promise<void>;
  /** Every message of the conversation up to `upTo`, in order, as one indexed SELECT. */
  history(conversation: string, upTo: number): Promise<unknown[]>;
  /** The newest 20 messages, as one indexed SELECT. */
  newest(conversation: string): Promise<unknown[]>;
  close(): Promise<void>;
}

const DDL =
  "CREATE TABLE raw_messages (conversation_id VARCHAR(64) NOT NULL, seq INT NOT NULL, role VARCHAR(16) NOT NULL, content TEXT NOT NULL, PRIMARY KEY (conversation_id, seq))";

async function openRawMessages(provider: ProviderName, url: string): Promise<RawMessages> {
  switch (provider) {
    case "sqlite": {
      const db = new Database(sqlitePath(url), { timeout: 5000 });
      db.exec(DDL);
      const insert = db.prepare("INSERT INTO raw_messages VALUES (?, ?, 'user', ?), (?, ?, 'assistant', ?)");
      const history = db.prepare("SELECT role, content FROM raw_messages WHERE conversation_id = ? AND seq <= ? ORDER BY seq");
      const newest = db.prepare("SELECT role, content FROM raw_messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 20");
      return {
        append: async (c, seq, q, a) => void insert.run(c, seq, q, c, seq + 1, a),
        history: async (c, upTo) => history.all(c, upTo),
        newest: async (c) => newest.all(c),
        close: async () => void db.close(),
      };
    }
    case "postgresql": {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      pool.on("error", () => {});
      await pool.query(DDL);
      return {
        append: async (c, seq, q, a) => {
          await pool.query("INSERT INTO raw_messages VALUES ($1, $2, 'user', $3), ($1, $4, 'assistant', $5)", [c, seq, q, seq + 1, a]);
        },
        history: async (c, upTo) =>
          (await pool.query("SELECT role, content FROM raw_messages WHERE conversation_id = $1 AND seq <= $2 ORDER BY seq", [c, upTo]))
            .rows,
        newest: async (c) =>
          (await pool.query("SELECT role, content FROM raw_messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT 20", [c])).rows,
        close: () => pool.end(),
      };
    }
    case "mysql": {
      const pool = mariadb.createPool({ ...mysqlConfig(url), connectionLimit: 4 });
      await pool.query(DDL);
      return {
        append: async (c, seq, q, a) => {
          await pool.execute("INSERT INTO raw_messages VALUES (?, ?, 'user', ?), (?, ?, 'assistant', ?)", [c, seq, q, c, seq + 1, a]);
        },
        history: async (c, upTo) =>
          pool.execute("SELECT role, content FROM raw_messages WHERE conversation_id = ? AND seq <= ? ORDER BY seq", [c, upTo]),
        newest: async (c) =>
          pool.execute("SELECT role, content FROM raw_messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 20", [c]),
        close: () => pool.end(),
      };
    }
  }
}

const rows: Row[] = [];
const verdict = (ratio: number, goal: number) => `<= ${goal}x ${ratio <= goal ? "met" : "MISSED"}`;
const ms = (n: number) => `${n.toFixed(2)} ms`;

for (const provider of PROVIDERS.filter((p) => p.name === ONLY)) {
  const db = await freshDatabase(provider);
  const store = await createResponsesStore(storeOptions(db.url));
  const raw = await openRawMessages(provider.name, db.url);
  // Two conversations of the same turns: one stored from what each turn adds (storeTurn, what a
  // Responses server has in hand), one with whole lists every turn (storeResponseObject).
  const hasStoreTurn = typeof (store as { storeTurn?: unknown }).storeTurn === "function"; // not before issue 21
  const cold = () => createResponsesStore(storeOptions(db.url));
  const id = (t: number) => `resp_${String(t).padStart(5, "0")}`;
  /**
   * `turns` turns of one conversation, stored both ways (ids `${prefix}resp_…` whole, `${prefix}a_resp_…`
   * by storeTurn) beside the raw floor's conversation `prefix || "conv"`, interleaved turn by turn:
   * each turn's milliseconds each way, the chat messages after the last turn, the owners, and
   * stored / added bytes at turn 100 and at the last turn.
   */
  const converse = async (prefix: string, turns: number) => {
    const conversation = prefix || "conv";
    const adding = { principal: `${prefix}agent` };
    const user = { principal: `${prefix}agent_whole` };
    let input: InputItem[] = [];
    let messages: { role: "user" | "assistant"; content: string }[] = [];
    let added = 0;
    const turnMs: number[] = [];
    const wholeMs: number[] = [];
    const rawMs: number[] = [];
    const bytesAt = new Map<number, number>();
    for (let t = 1; t <= turns; t++) {
      const question = text(300);
      const answer = text(1200);
      const fresh: InputItem = { type: "message", role: "user", id: `msg_in_${t}`, content: [{ type: "input_text", text: question }] };
      input = [...input, fresh];
      const asked = { role: "user" as const, content: question };
      messages = [...messages, asked];
      const response = (way: string) => turnResponse(`${prefix}${way}${id(t)}`, t, t > 1 ? `${prefix}${way}${id(t - 1)}` : null, answer);
      const previousAnswer = messages.at(-2);
      const steps: [number[], () => Promise<unknown>][] = [
        [rawMs, () => raw.append(conversation, 2 * t - 1, question, answer)],
        [wholeMs, () => store.storeResponseObject(response(""), input, messages, { user })],
      ];
      if (hasStoreTurn)
        steps.push([
          turnMs,
          () =>
            t === 1
              ? store.storeResponseObject(response("a_"), [fresh], [asked], { user: adding })
              : store.storeTurn(response("a_"), [fresh], [previousAnswer!, asked], { user: adding }),
        ]);
      for (let k = 0; k < steps.length; k++) {
        const [into, step] = steps[(t + k) % steps.length]!;
        into.push(await timed(step));
      }
      added += json(response("")) + json(fresh) + json(asked) + (t > 1 ? json(previousAnswer) : 0);
      if (t === Math.min(100, turns) || t === turns) bytesAt.set(t, (await store.storageStats({ user })).storedBytes / added);
      input = [...input, ...(response("").output as InputItem[])];
      messages = [...messages, { role: "assistant", content: answer }];
    }
    return { turnMs, wholeMs, rawMs, bytesAt, messages, adding, user };
  };
  try {
    // A conversation first whose turns are not measured: the JIT compiles the store's, the
    // drivers' and the raw floor's code on it, so turn 10 measures a turn, not a cold start.
    await converse("warm_", WARM_UP);
    const { turnMs, wholeMs, rawMs, bytesAt, messages, adding, user } = await converse("", TURNS);
    // The median of the 9 turns nearest turn t (index i is turn i + 1).
    const around = (list: number[], t: number) => {
      const from = Math.max(0, Math.min(t - 5, list.length - 9));
      return list.slice(from, from + 9).sort((a, b) => a - b)[4]!;
    };
    const appends: [string, number[]][] = [["whole lists", wholeMs]];
    if (hasStoreTurn) appends.unshift(["storeTurn", turnMs]);
    for (const [how, list] of appends) {
      for (const t of MARKS) {
        const ratio = around(list, t) / around(rawMs, t);
        rows.push([
          `append turn ${t} (${how}) / raw 2-row INSERT`,
          `${ms(around(list, t))} / ${ms(around(rawMs, t))} = ${ratio.toFixed(2)}x`,
          verdict(ratio, 2),
        ]);
      }
      const growth = around(list, TURNS) / around(list, 10);
      rows.push([`append turn ${TURNS} / turn 10 (${how})`, `${growth.toFixed(2)}x`, verdict(growth, 1.5)]);
    }
    const bytesGrowth = bytesAt.get(TURNS)! / bytesAt.get(Math.min(100, TURNS))!;
    rows.push([
      `stored / added bytes, turn ${TURNS} / turn 100`,
      `${bytesAt.get(TURNS)!.toFixed(2)} / ${bytesAt.get(Math.min(100, TURNS))!.toFixed(2)} = ${bytesGrowth.toFixed(2)}x`,
      verdict(bytesGrowth, 1.2),
    ]);

    // Stores that remember nothing (another app instance, or after a restart): they read the rows.
    const wholeAt = Math.min(1000, TURNS);
    const reader = await cold();
    const [get, rawHistory] = await medians(
      REPEAT,
      () => reader.getResponseObject(id(wholeAt), { user }),
      () => raw.history("conv", 2 * wholeAt - 1),
    );
    rows.push([
      `whole history of turn ${wholeAt}, cold: store get / raw SELECT`,
      `${ms(get)} / ${ms(rawHistory)} = ${(get / rawHistory).toFixed(2)}x`,
      verdict(get / rawHistory, 1.3),
    ]);
    const [page, rawNewest] = await medians(
      REPEAT,
      () => reader.listResponseInputItems(id(TURNS), { limit: 20, order: "desc", user }),
      () => raw.newest("conv"),
    );
    rows.push([
      `newest 20 input items of turn ${TURNS}, cold: store / raw`,
      `${ms(page)} / ${ms(rawNewest)} = ${(page / rawNewest).toFixed(2)}x`,
      verdict(page / rawNewest, 1.5),
    ]);
    if (hasStoreTurn) {
      // Turns that each land on the instance that did not store the one before (instances behind
      // a load balancer): neither remembers the parent, which is read as a row, not as a history.
      let t = TURNS;
      let previousAnswer = messages.at(-1)!;
      const across = async () => {
        t++;
        const answer = text(1200);
        const question = text(300);
        const fresh: InputItem = { type: "message", role: "user", id: `msg_in_${t}`, content: [{ type: "input_text", text: question }] };
        const asked = { role: "user" as const, content: question };
        const instance = t % 2 ? reader : store;
        await instance.storeTurn(turnResponse(`a_${id(t)}`, t, `a_${id(t - 1)}`, answer), [fresh], [previousAnswer, asked], {
          user: adding,
        });
        previousAnswer = { role: "assistant", content: answer };
      };
      let seq = 2 * TURNS + 1;
      const [cold, rawAppend] = await medians(REPEAT, across, () => raw.append("conv", (seq += 2), text(300), text(1200)));
      rows.push([
        `append turn ${TURNS}, each on the other instance (storeTurn) / raw 2-row INSERT`,
        `${ms(cold)} / ${ms(rawAppend)} = ${(cold / rawAppend).toFixed(2)}x`,
        verdict(cold / rawAppend, 2),
      ]);
    }
    await reader.shutdown();
  } finally {
    await store.shutdown();
    await raw.close();
    await db.drop();
  }
  console.log(JSON.stringify(rows));
  process.exit(0);
}

console.log(
  `\none long conversation against the raw floor: ${TURNS} turns, 300-byte questions and 1.2 KB answers of random text${REFERENCES ? ", messageReferences on" : ""}, Node ${process.version}`,
);
if (SKIPPED.length) console.log(`skipped: ${SKIPPED.join("; ")}`);
printPerProvider(process.argv[1]!);
