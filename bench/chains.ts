/**
 * `npm run bench`: long conversations under linear storage, per database. One conversation of
 * BENCH_TURNS turns (default 1000) continued with previous_response_id, with incompressible
 * text (random base64: 300-byte user messages, 1.2 KB answers), stored through the public API
 * as callers do (whole input and messages every turn). Prints, against the goals of issue 8:
 * - stored bytes / bytes the turns added (each turn's response object, new input items and new
 *   messages, as JSON), at 100 turns and at the last;
 * - time to store the last turns / turn 10 (medians of the 9 turns nearest each), each turn stored
 *   by the store that stored the one before (which remembers it); and the last turn stored by
 *   a store that does not (another app instance, or after a restart);
 * - an input-items page (limit 20) at the last turn / at turn 10, from another store instance
 *   and from the one that stored them;
 * - getResponseObject of the last turn / the raw driver reading one row holding the same JSON,
 *   from another store instance (which walks the chain) and from the one that stored it;
 * - listResponses (limit 50, without input) over the conversation's turns / over single-turn rows.
 * SQLite always; PostgreSQL and MySQL/MariaDB when TEST_POSTGRES_URL / TEST_MYSQL_URL are set,
 * each in a process of its own, on a fresh database dropped afterwards. Asserts nothing.
 */
import { randomBytes } from "node:crypto";
import type { InputItem, ResponseObject } from "../src/index.js";
import { PROVIDERS, SKIPPED, freshDatabase } from "../test/support/databases.js";
import { built } from "./built.js";
import { printPerProvider, type Row } from "./per-provider.js";
import { turnResponse } from "./turn-response.js";
import { openRaw } from "./raw-driver.js";

const { createResponsesStore } = built;
const TURNS = Number(process.env.BENCH_TURNS ?? 1000);
const REPEAT = 30;
const ONLY = process.env.BENCH_ONLY_PROVIDER;

const text = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4))
    .toString("base64")
    .slice(0, bytes);
const json = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Median milliseconds of `fn` over `times` runs. */
async function median(times: number, fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

const rows: Row[] = [];
const verdict = (ratio: number, goal: number) => `<= ${goal}x ${ratio <= goal ? "met" : "MISSED"}`;

for (const provider of PROVIDERS.filter((p) => p.name === ONLY)) {
  const db = await freshDatabase(provider);
  const store = await createResponsesStore({ url: db.url });
  const raw = await openRaw(provider.name, db.url);
  const user = { principal: "chat" };
  try {
    let input: InputItem[] = [];
    let messages: { role: "user" | "assistant"; content: string }[] = [];
    let previous: string | null = null;
    let added = 0;
    const storeMs: number[] = [];
    const storedAt = new Map<number, { stored: number; added: number }>();
    let last: { response: ResponseObject; input: InputItem[]; messages: typeof messages } | undefined;
    for (let t = 1; t <= TURNS; t++) {
      const question = text(300);
      const answer = text(1200);
      const fresh: InputItem = { type: "message", role: "user", id: `msg_in_${t}`, content: [{ type: "input_text", text: question }] };
      input = [...input, fresh];
      messages = [...messages, { role: "user", content: question }];
      const response = turnResponse(`resp_${String(t).padStart(5, "0")}`, t, previous, answer);
      const start = performance.now();
      await store.storeResponseObject(response, input, messages, { user });
      storeMs.push(performance.now() - start);
      added += json(response) + json(fresh) + json(messages.at(-1)) + (t > 1 ? json(messages.at(-2)) : 0);
      if (t === 10) {
        storedAt.set(10, { stored: 0, added });
      }
      if (t === 100 || t === TURNS) storedAt.set(t, { stored: (await store.storageStats({ user })).storedBytes, added });
      last = { response, input, messages };
      input = [...input, ...(response.output as InputItem[])];
      messages = [...messages, { role: "assistant", content: answer }];
      previous = response.id;
    }
    // The median of the 9 turns nearest turn t (storeMs[i] is turn i + 1).
    const around = (t: number) => {
      const from = Math.max(0, Math.min(t - 5, storeMs.length - 9));
      return storeMs.slice(from, from + 9).sort((a, b) => a - b)[4]!;
    };
    for (const t of [100, TURNS]) {
      const s = storedAt.get(t);
      if (!s) continue;
      const ratio = s.stored / s.added;
      rows.push([
        `stored / added bytes at turn ${t}`,
        `${(s.stored / 1e6).toFixed(2)} MB / ${(s.added / 1e6).toFixed(2)} MB = ${ratio.toFixed(2)}x`,
        verdict(ratio, 1.5),
      ]);
    }
    const storeRatio = around(TURNS) / around(10);
    rows.push([
      `store turn ${TURNS} / turn 10`,
      `${around(TURNS).toFixed(2)} ms / ${around(10).toFixed(2)} ms = ${storeRatio.toFixed(2)}x`,
      verdict(storeRatio, 2),
    ]);
    // The same turn stored by an instance that does not remember its parent (another app
    // instance, or after a restart): the full prefix check. Forks of the last turn, each cold.
    // (It remembers each fork it stores, never their parent; the first fork warms it up.)
    const forks = Array.from({ length: 6 }, (_, i) => ({ ...last!.response, id: `${last!.response.id}_fork${i}` }));
    const other = await createResponsesStore({ url: db.url });
    await other.storeResponseObject(forks.pop()!, last!.input, last!.messages, { user });
    const coldStore = await median(forks.length, () => other.storeResponseObject(forks.pop()!, last!.input, last!.messages, { user }));
    await other.shutdown();
    rows.push([
      `store turn ${TURNS} on a store that did not store turn ${TURNS - 1}`,
      `${coldStore.toFixed(2)} ms = ${(coldStore / around(10)).toFixed(2)}x turn 10`,
      "",
    ]);

    const lastId = last!.response.id;
    // Another instance (or this one after a restart) remembers nothing: it reads the chain.
    const cold = await createResponsesStore({ url: db.url });
    for (const [label, reader] of [
      ["", cold],
      ["  the same, on the store that stored them", store],
    ] as const) {
      const page = (id: string) => () => reader.listResponseInputItems(id, { limit: 20, user });
      await median(REPEAT, page(lastId));
      const pageLast = await median(REPEAT, page(lastId));
      const page10 = await median(REPEAT, page("resp_00010"));
      rows.push([
        label || `input-items page (20) turn ${TURNS} / turn 10`,
        `${pageLast.toFixed(2)} ms / ${page10.toFixed(2)} ms = ${(pageLast / page10).toFixed(2)}x`,
        verdict(pageLast / page10, 2),
      ]);
    }

    const whole = JSON.stringify({ ...last!.response, input: last!.input, messages: last!.messages });
    await raw.upsert("raw_whole", 1, whole);
    await median(REPEAT, () => store.getResponseObject(lastId, { user }));
    const get = await median(REPEAT, () => store.getResponseObject(lastId, { user }));
    await median(REPEAT, () => cold.getResponseObject(lastId, { user }));
    const coldGet = await median(REPEAT, () => cold.getResponseObject(lastId, { user }));
    await cold.shutdown();
    const rawGet = await median(REPEAT, () => raw.get("raw_whole"));
    await store.deleteResponseObject("raw_whole"); // unowned: every list would carry it
    const mb = (whole.length / 1e6).toFixed(2);
    rows.push([
      `get turn ${TURNS} (${mb} MB) / raw driver, one row`,
      `${coldGet.toFixed(2)} ms / ${rawGet.toFixed(2)} ms = ${(coldGet / rawGet).toFixed(2)}x`,
      verdict(coldGet / rawGet, 1.5),
    ]);
    rows.push([
      `  the same, on the store that stored it`,
      `${get.toFixed(2)} ms / ${rawGet.toFixed(2)} ms = ${(get / rawGet).toFixed(2)}x`,
      verdict(get / rawGet, 1.5),
    ]);

    const single = { principal: "single" };
    for (let i = 0; i < 60; i++) {
      const r: ResponseObject = { ...last!.response, id: `resp_single_${i}`, previous_response_id: null, created_at: 1_732_406_400 + i };
      await store.storeResponseObject(
        r,
        [{ type: "message", role: "user", id: `q_${i}`, content: [{ type: "input_text", text: text(300) }] }],
        [{ role: "user", content: text(300) }],
        { user: single },
      );
    }
    const list = (u: typeof user) => () => store.listResponses({ limit: 50, includeInput: false, user: u });
    await median(REPEAT, list(user));
    await median(REPEAT, list(single));
    const listChain = await median(REPEAT, list(user));
    const listSingle = await median(REPEAT, list(single));
    rows.push([
      `list (50, no input), ${TURNS}-turn chain / single turns`,
      `${listChain.toFixed(2)} ms / ${listSingle.toFixed(2)} ms = ${(listChain / listSingle).toFixed(2)}x`,
      verdict(listChain / listSingle, 1.5),
    ]);
    const listInput = await median(10, () => store.listResponses({ limit: 50, user }));
    rows.push([`list (50, with input), ${TURNS}-turn chain`, `${listInput.toFixed(2)} ms`, ""]);
  } finally {
    await store.shutdown();
    await raw.close();
    await db.drop();
  }
  console.log(JSON.stringify(rows));
  process.exit(0);
}

console.log(
  `\nlong conversations (linear storage): ${TURNS} turns, 300-byte questions and 1.2 KB answers of random text, Node ${process.version}`,
);
if (SKIPPED.length) console.log(`skipped: ${SKIPPED.join("; ")}`);
printPerProvider(process.argv[1]!);
