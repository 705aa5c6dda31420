/**
 * `npm run bench`: the peak resident memory of `responses-store serve` answering lists over long conversations.
 *
 * BENCH_MEMORY_CONVERSATIONS conversations (default 2) of BENCH_MEMORY_TURNS turns (default
 * 10,000) each, with incompressible text (300-byte questions, 1.2 KB answers), are stored on a
 * fresh SQLite file through the built package. Then the built `serve` runs in a process of its
 * own and answers `GET /v1/responses?limit=100` (every item with its whole input) page after
 * page for BENCH_MEMORY_PAGES pages (default 30), then `limit=50`. The bench reads that process's
 * peak resident set (VmHWM), and what it held idle. Asserts nothing.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InputItem, ResponseObject } from "../src/index.js";
import { built } from "./built.js";

const { createResponsesStore } = built;
const TURNS = Number(process.env.BENCH_MEMORY_TURNS ?? 10_000);
const CONVERSATIONS = Number(process.env.BENCH_MEMORY_CONVERSATIONS ?? 2);
const PAGES = Number(process.env.BENCH_MEMORY_PAGES ?? 30);
const text = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4))
    .toString("base64")
    .slice(0, bytes);
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

/** The peak and current resident set of a process, in KiB (Linux /proc). */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { peak: field("VmHWM"), now: field("VmRSS") };
}

const dir = mkdtempSync(join(tmpdir(), "ors-memory-"));
const url = `file:${join(dir, "memory.db")}`;
try {
  const store = await createResponsesStore({ url });
  let historyBytes = 0;
  for (let c = 0; c < CONVERSATIONS; c++) {
    let input: InputItem[] = [];
    let messages: { role: "user" | "assistant"; content: string }[] = [];
    let previous: string | null = null;
    for (let t = 1; t <= TURNS; t++) {
      const question = text(300);
      const answer = text(1200);
      input = [...input, { type: "message", role: "user", id: `msg_${c}_${t}`, content: [{ type: "input_text", text: question }] }];
      messages = [...messages, { role: "user", content: question }];
      const response: ResponseObject = {
        id: `resp_${c}_${String(t).padStart(5, "0")}`,
        object: "response",
        created_at: 1_732_406_400 + t * CONVERSATIONS + c,
        model: "gpt-4o",
        status: "completed",
        previous_response_id: previous,
        output: [
          {
            type: "message",
            id: `out_${c}_${t}`,
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: answer, annotations: [] }],
          },
        ],
      };
      await store.storeResponseObject(response, input, messages);
      input = [...input, ...(response.output as InputItem[])];
      messages = [...messages, { role: "assistant", content: answer }];
      previous = response.id;
    }
    historyBytes += Buffer.byteLength(JSON.stringify(input));
  }
  await store.shutdown();

  const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
  const serve = spawn(process.execPath, [main, "--url", url, "serve", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const origin = await new Promise<string>((resolve, reject) => {
      let out = "";
      serve.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /on (http:\/\/\S+?)\/v1/.exec(out);
        if (m) resolve(m[1]!);
      });
      serve.once("exit", (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    });
    const idle = memoryOf(serve.pid!);
    const results: string[] = [];
    for (const limit of [100, 50]) {
      let after: string | undefined;
      let pages = 0;
      let items = 0;
      let bytes = 0;
      let statuses = new Set<number>();
      const started = performance.now();
      // The newest responses, PAGES pages of them (each item with its whole input).
      while (pages < PAGES) {
        const response = await fetch(`${origin}/v1/responses?limit=${limit}${after ? `&after=${after}` : ""}`);
        statuses.add(response.status);
        const body = (await response.json()) as { data: { id: string }[]; has_more: boolean; last_id: string | null };
        bytes += JSON.stringify(body).length;
        pages++;
        items += body.data.length ?? 0;
        if (!body.has_more || !body.last_id) break;
        after = body.last_id;
      }
      const ms = (performance.now() - started) / pages;
      results.push(
        `GET /v1/responses?limit=${limit}: ${pages} pages, ${items} items, statuses ${[...statuses].join("/")}, ` +
          `${(bytes / pages / 1024 / 1024).toFixed(1)} MiB and ${ms.toFixed(0)} ms a page`,
      );
      statuses = new Set();
    }
    const after = memoryOf(serve.pid!);
    console.log(
      `serve memory over ${CONVERSATIONS} conversations of ${TURNS} turns (${(historyBytes / CONVERSATIONS / 1024 / 1024).toFixed(1)} MiB of history each), SQLite, Node ${process.version}`,
    );
    for (const line of results) console.log(`  ${line}`);
    const grew = after.peak - idle.now;
    console.log(
      `  peak resident ${mib(after.peak)} (idle ${mib(idle.now)}; +${mib(grew)} while answering; page budget 4 MiB): goal <= idle + 256 MiB ${grew <= 256 * 1024 ? "met" : "MISSED"}`,
    );
  } finally {
    serve.kill("SIGTERM");
    await new Promise((r) => serve.once("exit", r));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
