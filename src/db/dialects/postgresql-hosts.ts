/** PostgreSQL multi-host URLs as libpq takes them, and the pool that follows the primary across a failover. */
import type pgModule from "pg";
import type { Pool, PoolClient, PoolConfig } from "pg";

/** The pg module, loaded by the pool that uses it. */
type PgModule = typeof pgModule;

/** What kind of server a connection must reach, as libpq's `target_session_attrs` says it. */
type TargetSessionAttrs = "any" | "read-write" | "read-only" | "primary" | "standby" | "prefer-standby";

const ATTRS: readonly TargetSessionAttrs[] = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"];

/** The servers of a URL: one single-host URL each, in order, and the kind of server wanted. */
export interface Servers {
  urls: string[];
  /** Given by the URL, else "read-write" where the URL names several hosts (the store writes), else "any". */
  attrs: TargetSessionAttrs;
}

/** The hosts of a URL's authority (`h1:5441,h2:5442`, `[::1]:5432`), or of its `host`/`port` parameters. */
function hostList(url: string): { prefix: string; hosts: string[]; rest: string } | string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?)([^/?#]*)(.*)$/i.exec(url);
  if (!match) return "it does not parse as a URL";
  const [, prefix = "", authority = "", rest = ""] = match;
  return { prefix, hosts: authority ? authority.split(",") : [], rest };
}

/**
 * Splits a postgresql:// URL into one URL per host (libpq's `h1:p1,h2:p2`, or `?host=h1,h2&port=p1,p2`),
 * without `target_session_attrs`, which it returns checked; or a problem, in words without the password.
 *
 * @example
 * ```ts
 * pgServers("postgresql://app@h1:5441,h2:5442/app?target_session_attrs=primary");
 * // { urls: ["postgresql://app@h1:5441/app", "postgresql://app@h2:5442/app"], attrs: "primary" }
 * ```
 */
export function pgServers(url: string): Servers | string {
  const parts = hostList(url);
  if (typeof parts === "string") return parts;
  const query = parts.rest.indexOf("?");
  const params = new URLSearchParams(query >= 0 ? parts.rest.slice(query + 1).split("#")[0] : "");
  const path = query >= 0 ? parts.rest.slice(0, query) : parts.rest.split("#")[0]!;
  let hosts = parts.hosts;
  if (params.has("host") && params.get("host")!.includes(",")) {
    const ports = (params.get("port") ?? "").split(",");
    const named = params.get("host")!.split(",");
    if (ports.length > 1 && ports.length !== named.length) return "its host and port parameters list different numbers of servers";
    hosts = named.map(
      (h, i) => `${h.includes(":") ? `[${h}]` : h}${(ports[ports.length > 1 ? i : 0] ?? "") && `:${ports[ports.length > 1 ? i : 0]}`}`,
    );
    params.delete("host");
    params.delete("port");
  }
  if (hosts.some((h) => !h)) return "its host list has an empty entry";
  const given = params.get("target_session_attrs");
  params.delete("target_session_attrs");
  if (given !== null && !ATTRS.includes(given as TargetSessionAttrs)) {
    return `its target_session_attrs '${given}' is not one of ${ATTRS.join(", ")}`;
  }
  const search = params.toString();
  const urls = (hosts.length ? hosts : [""]).map((h) => `${parts.prefix}${h}${path}${search ? `?${search}` : ""}`);
  const attrs = (given as TargetSessionAttrs | null) ?? (urls.length > 1 ? "read-write" : "any");
  return { urls, attrs };
}

/** Whether a server whose state is (`inRecovery`, `readOnly`) is what `attrs` asks for; `standbyPass`: prefer-standby's first pass. */
function fits(attrs: TargetSessionAttrs, inRecovery: boolean, readOnly: boolean, standbyPass: boolean): boolean {
  switch (attrs) {
    case "any":
      return true;
    case "read-write":
      return !readOnly;
    case "read-only":
      return readOnly;
    case "primary":
      return !inRecovery;
    case "standby":
      return inRecovery;
    case "prefer-standby":
      return inRecovery || !standbyPass;
  }
}

/** No server of a URL fits its target_session_attrs (yet: a failover may be under way). Transient. */
class NoServerFits extends Error {
  readonly code = "ECONNREFUSED";
  constructor(attrs: TargetSessionAttrs, tried: string[]) {
    super(`no server fits target_session_attrs=${attrs} (tried ${tried.join("; ")})`);
  }
}

/** The address of a single-host URL, for messages (no user, no password). */
function addressOf(url: string): string {
  const parts = hostList(url);
  return typeof parts === "string" ? "?" : parts.hosts.join(",") || "localhost";
}

/**
 * The first of `servers` that answers and fits: its URL. Each is given `connectMs` to connect
 * and answer.
 */
export async function findServer(pg: PgModule, servers: Servers, connectMs: number): Promise<string> {
  if (servers.urls.length === 1 && servers.attrs === "any") return servers.urls[0]!;
  const tried: string[] = [];
  for (const standbyPass of servers.attrs === "prefer-standby" ? [true, false] : [false]) {
    for (const url of servers.urls) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectMs, query_timeout: connectMs });
      client.on("error", () => {});
      try {
        await client.connect();
        const { rows } = await client.query<{ r: boolean; ro: string }>(
          "SELECT pg_is_in_recovery() AS r, current_setting('transaction_read_only') AS ro",
        );
        const state = rows[0]!;
        if (fits(servers.attrs, state.r, state.ro === "on", standbyPass)) return url;
        tried.push(`${addressOf(url)}: ${state.r ? "a standby" : "read-only"}`);
      } catch (error) {
        tried.push(`${addressOf(url)}: ${(error as Error).message}`);
      } finally {
        void client.end().catch(() => {});
      }
    }
  }
  throw new NoServerFits(servers.attrs, tried);
}

/** SQLSTATEs and codes that mean the server a pool is on is gone or no longer fits: look again. */
const SERVER_LOST = /^(08...|57P0[123]|25006|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH)$/;
const LOST_MESSAGE = /Connection terminated|connection (lost|closed)|server closed the connection/i;

/** Whether `error` says the server is gone, or turned read-only (25006: a demoted primary). */
export function serverLost(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (typeof e?.code === "string" && SERVER_LOST.test(e.code)) || (typeof e?.message === "string" && LOST_MESSAGE.test(e.message));
}

/**
 * A pg pool on whichever server of a multi-host URL fits: found on first use, and found again
 * after the one in use is lost or turns read-only (a failover, a demotion), so that a URL
 * listing every node follows the primary by itself. With one host it is a plain pg pool.
 */
export class ServerPool {
  readonly #pg: PgModule;
  readonly #servers: Servers;
  readonly #config: PoolConfig;
  readonly #onIdleError: (error: Error) => void;
  #current: Promise<Pool> | undefined;
  /** The pool each connection handed out came from. */
  readonly #origin = new WeakMap<PoolClient, Promise<Pool>>();
  #ended = false;
  /** The pool itself, once open, where there is no server to follow. */
  #plain: Pool | undefined;

  constructor(pg: PgModule, servers: Servers, config: PoolConfig, onIdleError: (error: Error) => void) {
    this.#pg = pg;
    this.#servers = servers;
    this.#config = config;
    this.#onIdleError = onIdleError;
  }

  /** Whether the pool looks for its server (several hosts, or session attributes to check). */
  get follows(): boolean {
    return this.#servers.urls.length > 1 || this.#servers.attrs !== "any";
  }

  /** A connection to the current server (found first, if need be). */
  connect(): Promise<PoolClient> {
    // One host, any server: a plain pg pool once open (no server to follow, nothing to note).
    if (this.#plain && !this.#ended) return this.#plain.connect();
    return this.#following();
  }

  async #following(): Promise<PoolClient> {
    if (this.#ended) throw new Error("the pool is closed");
    const current = (this.#current ??= this.#open());
    try {
      const pool = await current;
      if (!this.follows) this.#plain = pool;
      const client = await pool.connect();
      if (this.follows) this.#origin.set(client, current);
      return client;
    } catch (error) {
      this.lost(current, error);
      throw error;
    }
  }

  /** The pool of the server found now. */
  async #open(): Promise<Pool> {
    try {
      const url = await findServer(this.#pg, this.#servers, this.#config.connectionTimeoutMillis ?? 10_000);
      const pool = new this.#pg.Pool({ ...this.#config, connectionString: url });
      // This pool's own promise (set by now): an idle connection of a pool already left behind
      // must not send the current one looking again.
      const mine = this.#current;
      pool.on("error", (error) => {
        this.#onIdleError(error);
        this.lost(mine, error);
      });
      return pool;
    } catch (error) {
      this.#current = undefined; // the next attempt looks again
      throw error;
    }
  }

  /**
   * Notes that `error` happened on `client`: where it says the server is gone or read-only and
   * the URL names servers to follow, the next connection looks for the server again.
   */
  failedOn(client: PoolClient, error: unknown): void {
    this.lost(this.#origin.get(client), error);
  }

  /** `failedOn`, for a pool rather than one of its connections. */
  lost(pool: Promise<Pool> | undefined, error: unknown): void {
    if (!this.follows || !pool || pool !== this.#current || !serverLost(error)) return;
    this.#current = undefined;
    void pool.then((p) => p.end()).catch(() => {});
  }

  /** Closes the pool in use. */
  async end(): Promise<void> {
    this.#ended = true;
    this.#plain = undefined;
    const current = this.#current;
    this.#current = undefined;
    await current?.then((p) => p.end()).catch(() => {});
  }
}
