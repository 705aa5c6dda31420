#!/usr/bin/env node
/**
 * The `responses-store` command line: argument parsing only; each command calls the library.
 *
 * `responses-store`: the command line. Argument parsing only; each command calls the library.
 *   migrate status|deploy   where the database stands; apply pending migrations (offline)
 *   serve                   the OpenAI-compatible HTTP API on a port
 *   import --from URL       copy a llama-stack openai_responses table in
 *   prune --older-than 30d  batched retention delete (--dry-run counts; --force for under 1h or everything)
 *   compact                 rewrite rows an earlier release stored into linear storage
 *   stats                   rows and bytes (returned and stored), by model
 * Every command takes --url (default DATABASE_URL, else file:./responses.db) and --direct-url
 * (default DIRECT_URL), the direct connection migrations use behind a pooler; --replica-urls
 * (default DATABASE_REPLICA_URLS) sends reads to PostgreSQL read replicas.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { Command, InvalidArgumentError } from "commander";
import cliProgress from "cli-progress";
import {
  createResponsesHandler,
  createResponsesStore,
  isResponsesStoreError,
  migrate,
  migrationStatus,
  providerFromUrl,
  shutdownOnSignals,
  toNodeListener,
  type StorageCounts,
} from "../index.js";
import { assertUsableUrl, defaultUrl, dialectFor, redactUrl } from "../db/providers.js";
import { importLlamaStackResponses } from "../import/llama-stack.js";
import { storeDemoResponses } from "./demo-data.js";
import { parseDuration } from "../duration.js";
import { whenOrphaned } from "./orphan.js";

/** This package's version (package.json sits two folders above both src/cli and dist/cli). */
const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

const program = new Command("responses-store")
  .description("Keep OpenAI Responses API objects in SQLite, PostgreSQL or MySQL/MariaDB")
  .version(VERSION, "-V, --version", "print the package version")
  .option("--url <url>", "database URL (default: DATABASE_URL, else file:./responses.db)")
  .option("--direct-url <url>", "direct connection for migrations when --url goes through a pooler (default: DIRECT_URL)")
  .option("--replica-urls <urls>", "comma-separated read replica URLs (PostgreSQL; default: DATABASE_REPLICA_URLS)")
  .showHelpAfterError();

const urlOf = () => program.opts<{ url?: string }>().url ?? defaultUrl();
/** Store options from the global flags: the URL, and the direct URL migrations use. */
const connectionOf = () => {
  const opts = program.opts<{ directUrl?: string; replicaUrls?: string }>();
  const directUrl = opts.directUrl ?? (process.env.DIRECT_URL || undefined);
  const replicas = (opts.replicaUrls ?? process.env.DATABASE_REPLICA_URLS ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  return { url: urlOf(), ...(directUrl ? { directUrl } : {}), ...(replicas.length ? { replicas } : {}) };
};
/** Where migrations connect, and the schema (the URL's) they apply in. */
const migrationTarget = () => {
  const { url, directUrl } = connectionOf();
  assertUsableUrl("--url", url);
  if (directUrl) assertUsableUrl("--direct-url", directUrl);
  const provider = providerFromUrl(url);
  return { provider, target: directUrl ?? url, schema: dialectFor(provider).schema?.of(url) };
};
const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

const bar = (label: string) =>
  new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {detail}`, hideCursor: true, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );

const migrateCmd = program.command("migrate").description("Prisma-compatible migrations, without Prisma's native engine");
migrateCmd
  .command("status")
  .description("applied, pending, failed and edited migrations")
  .action(async () => {
    const { provider, target, schema } = migrationTarget();
    const s = await migrationStatus(provider, target, { schema });
    console.log(`Database: ${redactUrl(target)}${schema ? ` (schema ${schema})` : ""}`);
    console.log(`applied: ${s.applied.join(", ") || "(none)"}`);
    console.log(`pending: ${s.pending.join(", ") || "(none)"}`);
    if (s.failed.length) console.log(`FAILED (resolve with prisma migrate resolve): ${s.failed.join(", ")}`);
    if (s.edited.length) console.log(`EDITED after being applied: ${s.edited.join(", ")}`);
    process.exitCode = s.pending.length || s.failed.length || s.edited.length ? 1 : 0;
  });
migrateCmd
  .command("deploy")
  .description("apply pending migrations, recorded as prisma migrate deploy records them")
  .action(async () => {
    const { provider, target, schema } = migrationTarget();
    const { applied } = await migrate(provider, target, { schema });
    console.log(applied.length ? `Applied ${applied.join(", ")} to ${redactUrl(target)}` : `${redactUrl(target)} is up to date`);
  });

program
  .command("serve")
  .description("serve the Responses API (GET/DELETE /v1/responses/{id}, /input_items, GET /v1/responses)")
  .option(
    "--port <port>",
    "port (0: any free one)",
    (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("port must be an integer from 0 to 65535");
      return n;
    },
    8321,
  )
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--base-path <path>", "where the API is mounted", "/v1")
  .option(
    "--user-header <name>",
    "take the caller's principal from this request header: whoever can reach the port can claim any user, so only on loopback or behind a proxy that sets it",
  )
  .option("--trust-user-header", "serve --user-header on a non-loopback --host: a trusted proxy sets the header and clients cannot")
  .option("--demo", "when the database holds no responses, store the demo's samples first (owned by alice and bob)")
  .action(
    async (opts: { port: number; host: string; basePath: string; userHeader?: string; trustUserHeader?: boolean; demo?: boolean }) => {
      if (opts.userHeader && !opts.trustUserHeader && !isLoopback(opts.host)) {
        console.error(
          `Refusing to serve --user-header ${opts.userHeader} on ${opts.host}: any client that reaches it could read every user's responses by sending that header. ` +
            "Listen on 127.0.0.1, or pass --trust-user-header when a proxy in front sets the header and strips the clients' own.",
        );
        process.exitCode = 2;
        return;
      }
      const url = urlOf();
      const store = await createResponsesStore({ ...connectionOf(), logger: console });
      if (opts.demo && !(await store.ownerCounts({ limit: 1 })).length) {
        console.log(`Stored ${(await storeDemoResponses(store)).length} demo responses (owned by alice and bob).`);
      }
      const header = opts.userHeader?.toLowerCase();
      const handler = createResponsesHandler(store, {
        basePath: opts.basePath,
        vary: header ? [opts.userHeader!] : [],
        authenticate: (req) => {
          const principal = header ? req.headers.get(header) : null;
          return principal ? { principal } : null;
        },
      });
      const listener = toNodeListener(handler); // never rejects: it answers 500 itself
      const server = createServer((req, res) => void listener(req, res));
      const listening = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        server.once("error", resolve);
        server.listen(opts.port, opts.host, () => resolve(undefined));
      });
      if (listening) {
        // A port in use, or one this user may not bind: said in a line, not a stack.
        const why = listening.code === "EADDRINUSE" ? "is in use (pass another --port)" : `cannot be listened on: ${listening.message}`;
        console.error(`Cannot serve: port ${opts.port} on ${opts.host} ${why}`);
        await store.shutdown();
        process.exitCode = 1;
        return;
      }
      const origin = `http://${opts.host}:${(server.address() as { port: number }).port}`;
      console.log(`Serving ${redactUrl(url)} (${store.provider}) on ${origin}${opts.basePath}`);
      for (const line of await firstRunHints(store, `${origin}${opts.basePath}`, header)) console.log(line);
      shutdownOnSignals({ shutdown: () => new Promise<void>((r) => server.close(() => r())).then(() => store.shutdown()) });
      whenOrphaned(() => process.kill(process.pid, "SIGTERM")); // npm's shell gone: the same graceful stop
    },
  );

/**
 * What a reader of serve's output needs to see stored responses: how many there are and whose,
 * and a curl line that shows some (as their owner, when a user header is set).
 */
async function firstRunHints(
  store: Awaited<ReturnType<typeof createResponsesStore>>,
  api: string,
  header: string | undefined,
): Promise<string[]> {
  const owners = await store.ownerCounts({ limit: 1000 });
  const total = owners.reduce((n, o) => n + o.rows, 0);
  const unowned = owners.find((o) => o.owner === "")?.rows ?? 0;
  const top = owners.find((o) => o.owner !== "");
  const more = owners.length > 5 ? `, and ${owners.length === 1000 ? "1000+" : owners.length - 5} more owners` : "";
  const describe =
    owners
      .slice(0, 5)
      .map((o) => `${o.owner || "(no user)"}: ${o.rows}`)
      .join(", ") + more;
  if (!total) {
    return [
      "The database holds no responses yet. Store some with store.storeResponseObject() (README, Use),",
      "copy a llama-stack table with `responses-store import --from <url>`, or restart with --demo for samples.",
      `Try: curl -s '${api}/responses?limit=5'`,
    ];
  }
  if (header && top) {
    return [`${total} stored responses, by owner: ${describe}.`, `Try: curl -s -H '${header}: ${top.owner}' '${api}/responses?limit=5'`];
  }
  const lines = [`${total} stored responses, by owner: ${describe}; ${unowned} visible without a user.`];
  if (top && !header)
    lines.push("Rows stored for a user are visible only to that user: restart with --user-header x-user and send -H 'x-user: <owner>'.");
  lines.push(`Try: curl -s '${api}/responses?limit=5'`);
  return lines;
}

program
  .command("import")
  .description("copy a llama-stack openai_responses table in (owners kept; idempotent and resumable)")
  .requiredOption("--from <url>", "the llama-stack database (file:... or postgresql://...)")
  .option("--table <name>", "its responses table", "openai_responses")
  .option("--batch-size <n>", "rows per batch", int("batch-size"), 200)
  .action(async (opts: { from: string; table: string; batchSize: number }) => {
    const store = await createResponsesStore(connectionOf());
    const progress = bar("import");
    let started = false;
    try {
      const result = await importLlamaStackResponses(store, {
        sourceUrl: opts.from,
        table: opts.table,
        batchSize: opts.batchSize,
        onProgress: (p) => {
          if (!started) progress.start(p.total, 0, { detail: "" });
          started = true;
          progress.update(p.copied + p.skipped + p.invalid.length, { detail: `copied ${p.copied}, skipped ${p.skipped}` });
        },
      });
      if (started) progress.stop();
      console.log(`copied ${result.copied}, skipped ${result.skipped} (already present), invalid ${result.invalid.length}`);
      for (const i of result.invalid.slice(0, 20)) console.log(`  invalid ${i.id}: ${i.reason}`);
      process.exitCode = result.invalid.length ? 1 : 0;
    } finally {
      if (started) progress.stop();
      await store.shutdown();
    }
  });

/** Below this, `prune --older-than` asks for --force: "0d" or "1s" is a typo more often than a wish. */
const PRUNE_LEAST_MS = 3_600_000;

/** The latest moment a Date holds: "older than" it is every row (the count a prune compares with). */
const END_OF_TIME = new Date(8.64e15);

program
  .command("prune")
  .description("delete responses older than a duration, in batches")
  .requiredOption("--older-than <duration>", "e.g. 30d, 12h, 2w (at least 1h without --force)", (v: string) => {
    try {
      return parseDuration(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  })
  .option("--batch-size <n>", "rows per delete", int("batch-size"), 500)
  .option("--user <principal>", "only the rows this principal stored (default: every owner's)")
  .option("--dry-run", "count what would be deleted, and delete nothing")
  .option("--force", "allow a duration under an hour, and deleting every response there is")
  .action(async (opts: { olderThan: number; batchSize: number; user?: string; dryRun?: boolean; force?: boolean }) => {
    if (opts.olderThan < PRUNE_LEAST_MS && !opts.force) {
      console.error(
        `Refusing to prune: --older-than is under an hour, which deletes responses created moments ago. Pass --force if that is what you mean (--dry-run counts them first).`,
      );
      process.exitCode = 2;
      return;
    }
    const store = await createResponsesStore(connectionOf());
    try {
      const olderThan = new Date(Date.now() - opts.olderThan);
      const scope = opts.user ? { owner: opts.user } : { allOwners: true };
      const matched = (await store.pruneResponses({ olderThan, ...scope, dryRun: true })).matched ?? 0;
      const all = (await store.pruneResponses({ olderThan: END_OF_TIME, ...scope, dryRun: true })).matched ?? 0;
      const before = `created before ${olderThan.toISOString()}`;
      if (opts.dryRun) {
        console.log(`would delete ${matched} response(s) ${before}, of ${all}; nothing was deleted`);
        return;
      }
      if (matched > 0 && matched === all && !opts.force) {
        console.error(
          `Refusing to prune: it would delete every response (${all}) ${scope.owner === undefined ? "" : `of ${scope.owner} `}${before}. Pass --force to delete them all.`,
        );
        process.exitCode = 2;
        return;
      }
      const progress = bar("prune");
      let started = false;
      const { deleted } = await store.pruneResponses({
        olderThan,
        batchSize: opts.batchSize,
        ...scope,
        onProgress: (n, total) => {
          if (!started) progress.start(total, 0, { detail: before });
          started = true;
          progress.update(n);
        },
      });
      if (started) progress.stop();
      console.log(`deleted ${deleted} response(s) ${before}`);
    } finally {
      await store.shutdown();
    }
  });

program
  .command("compact")
  .description(
    "rewrite responses stored before linear storage so that each conversation turn keeps only its new items (batched, resumable)",
  )
  .option("--batch-size <n>", "rows per round", int("batch-size"), 500)
  .action(async (opts: { batchSize: number }) => {
    const store = await createResponsesStore(connectionOf());
    try {
      const before = await store.storageStats({ allOwners: true });
      const progress = bar("compact");
      let started = false;
      const { compacted, linked } = await store.compactResponses({
        batchSize: opts.batchSize,
        onProgress: (done, total) => {
          if (!started) progress.start(total, 0, { detail: "rows stored whole by an earlier release" });
          started = true;
          progress.update(done);
        },
      });
      if (started) progress.stop();
      const after = await store.storageStats({ allOwners: true });
      console.log(
        `compacted ${compacted} response(s), ${linked} now continue their parent; stored ${mb(before.storedBytes)} -> ${mb(after.storedBytes)} (reads return ${mb(after.bytes)})`,
      );
    } finally {
      await store.shutdown();
    }
  });

program
  .command("stats")
  .description("rows and bytes, by model")
  .option("--json", "print JSON")
  .action(async (opts: { json?: boolean }) => {
    const store = await createResponsesStore(connectionOf());
    try {
      const stats = await store.storageStats({ allOwners: true });
      if (opts.json) {
        console.log(JSON.stringify(stats));
        return;
      }
      const line = (c: StorageCounts) =>
        `${c.rows} response(s), ${c.bytes} bytes returned, ${c.storedBytes} bytes stored${c.retained ? `, ${c.retained} deleted turn(s) kept for later turns` : ""}`;
      console.log(line(stats));
      for (const m of stats.byModel) console.log(`  ${m.model}: ${line(m)}`);
    } finally {
      await store.shutdown();
    }
  });

program.parseAsync().catch((error: unknown) => {
  console.error(isResponsesStoreError(error) ? `${error.name} (${error.code}): ${error.message}` : error);
  process.exit(1);
});

/** Whether `host` is a loopback address (only this machine can connect). */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
