/** PostgreSQL (pg): the dialect record, URLs (`?schema=`, `pgbouncer=true`), the raw connection, the store's pool. */
import { createHash } from "node:crypto";
import type { SqlQuery } from "@prisma/driver-adapter-utils";
import { connect, type Socket } from "node:net";
import type { PoolClient, QueryArrayConfig } from "pg";
import type { Db, Queryable } from "../client.js";
import { DEFAULT_ATTEMPT_MS, type PoolHooks, type PoolOptions } from "../connection.js";
import { lockWait, timeLeft, usingWithin, type CallBounds } from "../deadline.js";
import { ServerPool, findServer, pgServers, serverLost, type Servers } from "./postgresql-hosts.js";
import type { Dialect } from "../providers.js";
import { networkUrlProblem } from "./shared-url.js";

/**
 * SQLSTATEs (and classes) of conditions that pass. 26000/42P05 (a named statement missing, or
 * already there, on a pooled server connection) pass too: the store goes on with unnamed statements.
 */
const TRANSIENT = /^(08...|40001|40P01|53300|55P03|57P0[123]|57014|26000|42P05)$/;

/** SQLSTATEs of a named statement the server connection does not have, or already has. */
const NAMED_STATEMENT_MISMATCH = new Set(["26000", "42P05"]);

/**
 * Statement texts given a server-side prepared statement name, per store; later ones go
 * unnamed. Each name costs memory on every server connection that prepared it: the first 256
 * texts are the common ones (gets, lists, the queue's batch sizes).
 */
const NAMED_STATEMENTS = 256;

/** A PostgreSQL identifier, quoted. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * What a postgresql:// URL says beyond what pg reads, taken out before pg sees it, as Prisma
 * spells it: `schema` (where the tables live; default: the server's search_path) and
 * `pgbouncer=true` (a transaction-mode pooler: no server-side prepared statements).
 */
export function pgConnection(url: string): { connectionString: string; prepared: boolean; schema: string | undefined; servers: Servers } {
  const found = pgServers(url);
  if (typeof found === "string") throw new TypeError(`Invalid PostgreSQL URL: ${found}`);
  const first = new URL(found.urls[0]!);
  const pgbouncer = first.searchParams.get("pgbouncer");
  const schema = first.searchParams.get("schema") || undefined;
  const plain = (server: string) => {
    if (pgbouncer === null && schema === undefined && !server.includes("schema=")) return server;
    const u = new URL(server);
    u.searchParams.delete("pgbouncer");
    u.searchParams.delete("schema");
    return u.toString();
  };
  const servers = { ...found, urls: found.urls.map(plain) };
  return { connectionString: servers.urls[0]!, prepared: pgbouncer !== "true", schema, servers };
}

/** What is wrong with a postgresql:// URL (each host of a multi-host URL checked as one URL), or undefined. */
function pgUrlProblem(url: string): string | undefined {
  const found = pgServers(url);
  if (typeof found === "string") return found;
  for (const server of found.urls) {
    const problem = networkUrlProblem(server);
    if (problem) return found.urls.length > 1 ? `${problem} (in one of its hosts)` : problem;
  }
  return undefined;
}

type Result = { rows: unknown[]; rowCount: number | null };
/** What the pool's clients expose beyond their typings: the backend's cancel key and the socket. */
type Connected = PoolClient & { processID?: number; secretKey?: number };

/**
 * Asks the server to cancel what `client`'s backend is running (the protocol's CancelRequest, on
 * a connection of its own, to the address the client is connected to; poolers forward it).
 * Best effort: a server that does not answer within a second is left alone.
 */
function cancelBackend(client: Connected): void {
  const stream = client.connection.stream as Partial<Socket>;
  const { processID, secretKey } = client;
  if (!stream.remoteAddress || !stream.remotePort || processID === undefined || secretKey === undefined) return;
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(80877102, 4); // the CancelRequest code
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  const socket = connect({ host: stream.remoteAddress, port: stream.remotePort });
  socket.setTimeout(1000, () => socket.destroy());
  socket.on("error", () => {});
  socket.on("connect", () => socket.end(request));
}

/**
 * The store's pool: values as the server's text, named statements unless a pooler is in the way.
 * Every attempt (a connection and its statements) is bounded by its call's deadline (`within`)
 * and by `timeoutMs`; a statement still running then is cancelled on the server and its
 * connection dropped, so a frozen server, a held lock or a commit waiting for a dead
 * synchronous standby cannot hold a call past its deadline.
 */
async function openPool(url: string, options: PoolOptions, { onIdleError, warn }: PoolHooks): Promise<Db> {
  const { default: pg } = await import("pg");
  const { servers, prepared: named } = pgConnection(url);
  let prepared = named;
  const bound = options.timeoutMs ?? DEFAULT_ATTEMPT_MS;
  // TCP keepalives find a peer that vanished (a failover, a partition) on idle connections too.
  // A multi-host URL's pool follows the server that fits its target_session_attrs.
  const pool = new ServerPool(
    pg,
    servers,
    { max: options.max ?? 10, connectionTimeoutMillis: bound, keepAlive: true, keepAliveInitialDelayMillis: 10_000 },
    onIdleError,
  );
  // Every value comes back as the server's text: JSON is parsed once by the repository, and
  // bigints keep their digits.
  const asText = { getTypeParser: () => (value: string) => value };
  // Named statements are parsed and planned once per connection (measured: 5-15% less server
  // CPU on the queue's batches); not through a transaction-mode pooler (?pgbouncer=true). A
  // name is a digest of the text, so a server connection holding that name holds this statement.
  const names = new Map<string, string>();
  const nameOf = (sql: string): string | undefined => {
    if (!prepared) return undefined;
    let name = names.get(sql);
    if (name === undefined && names.size < NAMED_STATEMENTS) {
      names.set(sql, (name = `ors_${createHash("sha256").update(sql).digest("hex").slice(0, 32)}`));
    }
    return name;
  };
  /** Connections whose statement was cut off: released as broken (the pool closes them). */
  const cut = new WeakSet<PoolClient>();
  const abandon = (client: Connected) => {
    cut.add(client);
    cancelBackend(client);
    client.connection.stream.destroy();
  };
  /** Sends one statement (the attempt around it is bounded as a whole: `usingWithin`). */
  const send = (client: Connected, config: object): Promise<Result> =>
    client.query(config as QueryArrayConfig) as Promise<unknown> as Promise<Result>;
  // A transaction-mode pooler without ?pgbouncer=true shows itself by a named statement that a
  // server connection lacks (or already has): from then on statements go unnamed, and the one
  // that failed is sent again unnamed (it did not run). Inside a transaction, which that error
  // aborted, it is thrown instead (classed transient: the retry runs unnamed).
  const run = async (client: Connected, inTransaction: boolean, q: SqlQuery, rowMode?: "array"): Promise<Result> => {
    const name = nameOf(q.sql);
    try {
      return await send(client, { name, text: q.sql, values: q.args, rowMode, types: asText });
    } catch (error) {
      if (!name || !NAMED_STATEMENT_MISMATCH.has(String((error as { code?: unknown }).code))) throw error;
      if (prepared)
        warn(
          "openai-responses-store: the server lost a prepared statement (a transaction-mode pooler?); using unnamed statements from now on. Add ?pgbouncer=true to the URL to say so up front.",
        );
      prepared = false;
      if (inTransaction) throw error;
      return send(client, { text: q.sql, values: q.args, rowMode, types: asText });
    }
  };
  const on = (client: Connected, inTransaction: boolean): Queryable => ({
    queryRaw: async (q) => ({ rows: (await run(client, inTransaction, q, "array")).rows as unknown[][] }),
    executeRaw: async (q) => (await run(client, inTransaction, q)).rowCount ?? 0,
  });
  /** Connections given a listener for errors between statements (pg's pool listens only while they are idle). */
  const heard = new WeakSet<PoolClient>();
  /** The pool as `usingWithin` takes it: a statement past its deadline cancelled and its connection dropped. */
  const pooled = {
    acquire: async () => {
      const client = (await pool.connect()) as Connected;
      if (!heard.has(client)) {
        heard.add(client);
        client.on("error", (error) => pool.failedOn(client, error)); // the next statement on it fails
      }
      return client;
    },
    giveBack: (client: Connected) => client.release(),
    cut: abandon,
  };
  /**
   * One attempt on a pooled connection, its connection and statements under one bound: `fn`'s
   * failure tells the pool (a server gone or turned read-only is looked for again), `onError`
   * cleans up (a rollback), and a connection cut off or that failed to clean up is discarded.
   */
  const attempt = <T>(
    bounds: CallBounds | undefined,
    fn: (client: Connected) => Promise<T>,
    onError?: (client: Connected) => Promise<unknown>,
  ): Promise<T> =>
    usingWithin(timeLeft(bounds, bound), pooled, async (client) => {
      let broken: unknown;
      try {
        return await fn(client);
      } catch (error) {
        pool.failedOn(client, error);
        if (!cut.has(client) && onError) await onError(client).catch((e: unknown) => (broken = e));
        throw error;
      } finally {
        client.release(cut.has(client) ? new Error("cut off at its deadline") : broken instanceof Error ? broken : undefined);
      }
    });
  // A statement outside a transaction whose server was lost is sent once more, to the server
  // found next (every statement of the store can be: reads, and idempotent writes).
  const single = async <T>(bounds: CallBounds | undefined, fn: (q: Queryable) => Promise<T>): Promise<T> => {
    const once = () => attempt(bounds, (client) => fn(on(client, false)));
    try {
      return await once();
    } catch (error) {
      if (!pool.follows || !serverLost(error) || timeLeft(bounds, bound) <= 0) throw error;
      return once();
    }
  };
  /** The pool as a Db whose attempts are bounded by `bounds` (a call's), or by `timeoutMs` alone. */
  const view = (bounds: CallBounds | undefined): Db => ({
    queryRaw: (q) => single(bounds, (c) => c.queryRaw(q)),
    executeRaw: (q) => single(bounds, (c) => c.executeRaw(q)),
    transaction: (fn) =>
      attempt(
        bounds,
        async (client) => {
          // The row-lock wait of this transaction (a batch waits briefly, then splits).
          await send(client, { text: `BEGIN; SET LOCAL lock_timeout = ${Math.ceil(lockWait(bounds, bound))}` });
          const result = await fn(on(client, true));
          await send(client, { text: "COMMIT" });
          return result;
        },
        (client) => send(client, { text: "ROLLBACK" }),
      ),
    within: view,
    dispose: () => pool.end(),
  });
  return view(undefined);
}

/**
 * LISTEN on `channel` over a connection of its own (never through a transaction-mode pooler,
 * which cannot keep a session's LISTEN: there the caller polls instead).
 */
async function listenOn(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  onLost: () => void,
  timeoutMs: number,
): Promise<{ close(): Promise<void> }> {
  const { default: pg } = await import("pg");
  const { servers, prepared } = pgConnection(url);
  if (!prepared) throw new Error("LISTEN needs a session of its own, which a transaction-mode pooler (?pgbouncer=true) does not keep");
  const connectionString = await findServer(pg, servers, timeoutMs);
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, keepAlive: true });
  let closing = false;
  const lost = () => {
    if (!closing) onLost();
  };
  client.on("error", lost);
  client.on("end", lost);
  client.on("notification", (m) => {
    if (m.channel === channel && m.payload !== undefined) onPayload(m.payload);
  });
  await client.connect();
  await client.query(`LISTEN ${quoteIdent(channel)}`);
  return {
    close: async () => {
      closing = true;
      await client.end().catch(() => {});
    },
  };
}

/** PostgreSQL's record. */
export const postgresql: Dialect = {
  provider: "postgresql",
  param: (i, type) => `$${i}${type === "json" ? "::json" : type === "bigint" ? "::bigint" : ""}`,
  lockRow: " FOR UPDATE",
  lockShared: " FOR SHARE",
  unboundedRecursion: () => ({ before: "", hint: "" }), // no bound on rounds
  byteLength: (col) => `octet_length(${col}::text)`,
  // json (not jsonb) has no key removal, and jsonb refuses \u0000: through jsonb unless the text
  // holds that escape, in which case the value is sent whole (the store drops the keys itself).
  jsonWithout: (col, keys) =>
    `CASE WHEN strpos(${col}::text, '\\u0000') > 0 THEN ${col} ELSE (${col}::jsonb ${keys.map((k) => `- '${k}'`).join(" ")})::json END`,
  json: {
    overlaps: (col, key, values, p) =>
      `COALESCE((${col} -> ${p(key)}::text) ?| ARRAY[${values.map((v) => `${p(v)}::text`).join(", ")}], FALSE)`,
    present: (col, key, p) => `COALESCE((${col} -> ${p(key)}::text) <> '[]'::jsonb, FALSE)`,
  },
  upsert: "on-conflict-where",
  proposed: (column) => `excluded.${column}`,
  exclusiveWrites: false,
  deadlines: true,
  lookUpByKeyFirst: true,
  jsonKeepsText: () => true,
  readReplicas: true,
  schema: {
    of: (url) => pgConnection(url).schema,
    create: (schema) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`,
    use: (schema) => `SET LOCAL search_path TO ${quoteIdent(schema)}`,
    qualify: (schema, table) => `${quoteIdent(schema)}.${table}`,
  },
  migrationsTableDdl: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
  // Prisma's key, as a transaction-level lock: it conflicts with the session-level lock
  // `prisma migrate deploy` takes on the same key, and is released by COMMIT or ROLLBACK.
  migrationLock: {
    acquire: ["BEGIN", "SELECT pg_advisory_xact_lock(72707369)"],
    release: "COMMIT",
    abort: "ROLLBACK",
    transactional: true,
    busy: (e) => (e as { code?: unknown } | null)?.code === "55P03", // lock_timeout: the runner waits on
  },
  notifications: {
    notify: (p, channel, payload) => `SELECT pg_notify(${p.value(channel)}, ${p.value(payload)})`,
    listen: listenOn,
  },
  timestamp: (d) => d,
  checkUrl: pgUrlProblem,
  async openRawConnection(url, timeoutMs = DEFAULT_ATTEMPT_MS) {
    const { default: pg } = await import("pg");
    const { servers, prepared } = pgConnection(url);
    const connectionString = await findServer(pg, servers, timeoutMs);
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, query_timeout: 10 * timeoutMs, keepAlive: true });
    client.on("error", () => {}); // a connection lost between statements fails the next one
    await client.connect();
    // Through a transaction-mode pooler a session setting would stay on a server connection
    // that others get next: there, lock waits are bounded by the statement cut-off only.
    if (prepared) await client.query(`SET lock_timeout = ${timeoutMs}`);
    return {
      exec: async (script) => {
        await client.query(script);
      },
      query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
      close: () => client.end(),
    };
  },
  openPool,
  transient: (e) => typeof e.code === "string" && TRANSIENT.test(e.code),
  lockTimeout: (e) => e.code === "55P03",
  uniqueViolation: (e) => e.code === "23505",
};
