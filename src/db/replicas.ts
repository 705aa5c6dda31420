/**
 * Read replicas with read-your-writes: where each read goes (PostgreSQL streaming replicas).
 *
 * Writes go to the primary; reads go to a healthy replica unless that could show the caller something older than this
 * store has been told was written:
 * - after each acknowledged write the store notes the primary's WAL position, and a read goes
 *   to a replica only once that replica has replayed up to it (its replay position is sampled in
 *   the background and checked again, once, when a read needs a newer one);
 * - a replica more than `maxLagMs` behind the primary is not used (a replica that has replayed
 *   the primary's last sampled position has no lag, so an idle primary is no lag; otherwise the
 *   lag is the age of the last transaction it replayed);
 * - a replica whose query fails leaves the rotation at once (the read is answered by the
 *   primary) and is probed back in.
 * Reads that find nothing on a replica are asked of the primary (another instance may have just
 * written). `read()` routes one read; the store's runtime calls it.
 */
import { StorageError, isResponsesStoreError } from "../errors.js";
import type { Db } from "./client.js";

/** How often replicas' replay positions and lag are sampled, and failed ones probed. */
export const REPLICA_PROBE_MS = 250;
/** A replica that takes longer than this to connect or answer leaves the rotation. */
export const REPLICA_TIMEOUT_MS = 2000;

/**
 * Why a read went to the primary instead of a replica.
 *
 * @example
 * ```ts
 * const { primaryFallbacks } = store.stats()?.replicas ?? {};
 * console.log(primaryFallbacks?.["behind-own-writes"]);
 * ```
 */
export type FallbackReason =
  "behind-own-writes" | "behind-token" | "read-from-primary" | "lagging" | "unavailable" | "not-found-on-replica";

/**
 * What a read asks of the router: the primary only, or at least a position (a consistency
 * token's; `null`: a token whose position is not known, which only the primary is sure to meet).
 */
export interface ReadNeeds {
  primary: boolean;
  atLeast?: bigint | null;
}

/**
 * Replica routing counters, part of `store.stats()`.
 *
 * @example
 * ```ts
 * const r = store.stats()?.replicas;
 * if (r && r.outOfRotation) console.warn(r.detail.filter((d) => !d.inRotation));
 * ```
 */
export interface ReplicaStats {
  /** Reads answered by a replica. */
  replicaReads: number;
  /** Reads answered by the primary although replicas are configured, by reason. */
  primaryFallbacks: Record<FallbackReason, number>;
  /** Replicas configured, and how many are out of rotation now (failing, or lagging too far). */
  replicas: number;
  outOfRotation: number;
  /** Per replica (URL without password): in rotation, measured lag. */
  detail: { url: string; inRotation: boolean; lagMs: number | undefined; lastError: string | undefined }[];
}

/** One replica as the router sees it. */
export interface Replica {
  url: string;
  db: Db;
  /** Replayed WAL position at the last sample (undefined before the first). */
  replayed: bigint | undefined;
  lagMs: number | undefined;
  healthy: boolean;
  lastError: string | undefined;
  /** The sample under way, shared by the reads that wait for it. */
  sampling: Promise<void> | undefined;
}

/** Router settings. */
export interface ReplicaRouterOptions {
  /** A replica further behind than this is not read from. */
  maxLagMs: number;
  /** How often replay positions, lag and failed replicas are probed. */
  probeIntervalMs: number;
  /** Hears replicas leaving and rejoining the rotation. */
  warn(message: string): void;
}

/** A PostgreSQL LSN (`16/B374D848`) as a number. */
function parseLsn(lsn: unknown): bigint | undefined {
  const m = typeof lsn === "string" ? /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(lsn) : null;
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : undefined;
}

/** A statement without parameters. */
const rawQuery = (sql: string) => ({ sql, args: [], argTypes: [] });

/** Where reads go: see the module comment. */
export class ReplicaRouter {
  readonly #primary: Db;
  readonly #replicas: Replica[];
  readonly #options: ReplicaRouterOptions;
  /** The primary's WAL position after this store's newest acknowledged write. */
  #ownWrites = 0n;
  /** A write was acknowledged but its position could not be read: reads go to the primary until one is. */
  #ownWritesUnknown = false;
  /** The primary's position at the last probe. */
  #primaryAt: bigint | undefined;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #probing: Promise<void> | undefined;
  readonly #stats = {
    replicaReads: 0,
    primaryFallbacks: {
      "behind-own-writes": 0,
      "behind-token": 0,
      "read-from-primary": 0,
      lagging: 0,
      unavailable: 0,
      "not-found-on-replica": 0,
    },
  };

  constructor(primary: Db, replicas: { url: string; db: Db }[], options: ReplicaRouterOptions) {
    this.#primary = primary;
    this.#replicas = replicas.map((r) => ({
      ...r,
      replayed: undefined,
      lagMs: undefined,
      healthy: true,
      lastError: undefined,
      sampling: undefined,
    }));
    this.#options = options;
  }

  /** Takes the first samples, then keeps sampling in the background (never keeping the process alive). */
  async start(): Promise<void> {
    await this.probe();
    this.#timer = setInterval(() => void this.probe(), this.#options.probeIntervalMs);
    this.#timer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** The primary's position after this store's newest acknowledged write, or undefined where it could not be read. */
  ownWrites(): bigint | undefined {
    return this.#ownWritesUnknown ? undefined : this.#ownWrites;
  }

  /** Notes that a write was acknowledged: reads by this store must see at least the primary's position now. */
  async noteWrite(): Promise<void> {
    try {
      const position = await this.#primaryPosition();
      if (position === undefined) throw new Error("no WAL position");
      if (position > this.#ownWrites) this.#ownWrites = position;
      this.#ownWritesUnknown = false;
    } catch {
      this.#ownWritesUnknown = true;
    }
  }

  /**
   * The connection a read should use, and the replica (if any) it came from. A replica is
   * chosen only when it is in rotation, within the lag limit and replayed past this store's
   * own writes (checked again on the replica when the sample is older than the write).
   */
  async reader(needs: ReadNeeds = { primary: false }): Promise<{ db: Db; replica: Replica | undefined }> {
    let reason: FallbackReason | undefined = needs.primary
      ? "read-from-primary"
      : needs.atLeast === null
        ? "behind-token"
        : this.#ownWritesUnknown
          ? "behind-own-writes"
          : undefined;
    // What a replica must have replayed: this store's own writes, and the token's position.
    const token = needs.atLeast ?? 0n;
    const needed = token > this.#ownWrites ? token : this.#ownWrites;
    const behind = token > this.#ownWrites ? "behind-token" : "behind-own-writes";
    const blocked = reason !== undefined; // nothing a replica holds can answer it
    for (let tried = 0; !blocked && tried < this.#replicas.length; tried++) {
      const replica = this.#replicas[this.#next++ % this.#replicas.length]!;
      if (!replica.healthy) {
        reason ??= "unavailable";
        continue;
      }
      if (replica.lagMs === undefined || replica.lagMs > this.#options.maxLagMs) {
        reason ??= "lagging";
        continue;
      }
      if (replica.replayed === undefined || replica.replayed < needed) {
        await this.#sample(replica);
        if (!replica.healthy) {
          reason ??= "unavailable";
          continue;
        }
        if (replica.replayed === undefined || replica.replayed < needed) {
          reason ??= behind;
          continue;
        }
      }
      return { db: replica.db, replica };
    }
    this.#stats.primaryFallbacks[reason ?? "unavailable"]++;
    return { db: this.#primary, replica: undefined };
  }

  /**
   * One read, on a replica when one may answer it, else on the primary: `on(db)` is what reads
   * through a connection. A replica that fails leaves the rotation and the primary answers;
   * what a replica does not find (`missing`, or one of the store's own errors such as an unknown
   * list cursor) is asked of the primary, which another instance may have just written to.
   */
  async read<R, T>(on: (db: Db) => R, op: (reader: R) => Promise<T>, missing?: (value: T) => boolean, needs?: ReadNeeds): Promise<T> {
    const { db, replica } = await this.reader(needs);
    if (!replica) return op(on(db));
    let value: T;
    try {
      value = await op(on(db));
    } catch (error) {
      if (error instanceof StorageError) this.failed(replica, error);
      else if (isResponsesStoreError(error)) this.notFoundOnReplica();
      else throw error;
      return op(on(this.#primary));
    }
    if (missing?.(value)) {
      this.notFoundOnReplica();
      return op(on(this.#primary));
    }
    this.served();
    return value;
  }

  /** Counts a read a replica answered. */
  served(): void {
    this.#stats.replicaReads++;
  }

  /** A replica's read failed: out of rotation until a probe answers; the caller reads from the primary. */
  failed(replica: Replica, error: unknown): void {
    this.#stats.primaryFallbacks.unavailable++;
    this.#markDown(replica, error);
  }

  /** A replica found nothing: the caller asks the primary. */
  notFoundOnReplica(): void {
    this.#stats.primaryFallbacks["not-found-on-replica"]++;
  }

  stats(redact: (url: string) => string): ReplicaStats {
    return {
      replicaReads: this.#stats.replicaReads,
      primaryFallbacks: { ...this.#stats.primaryFallbacks },
      replicas: this.#replicas.length,
      outOfRotation: this.#replicas.filter((r) => !r.healthy || r.lagMs === undefined || r.lagMs > this.#options.maxLagMs).length,
      detail: this.#replicas.map((r) => ({
        url: redact(r.url),
        inRotation: r.healthy && r.lagMs !== undefined && r.lagMs <= this.#options.maxLagMs,
        lagMs: r.lagMs,
        lastError: r.lastError,
      })),
    };
  }

  /** Samples the primary's position and every replica's replay position and lag (failed ones too: that is the probe). */
  probe(): Promise<void> {
    this.#probing ??= (async () => {
      try {
        const position = await this.#primaryPosition().catch(() => undefined);
        if (position !== undefined) {
          // A write whose position could not be read is behind the primary's position now.
          if (this.#ownWritesUnknown) {
            if (position > this.#ownWrites) this.#ownWrites = position;
            this.#ownWritesUnknown = false;
          }
          this.#primaryAt = position;
        }
        await Promise.all(this.#replicas.map((r) => this.#sample(r)));
      } finally {
        this.#probing = undefined;
      }
    })();
    return this.#probing;
  }

  async #primaryPosition(): Promise<bigint | undefined> {
    const result = await this.#primary.queryRaw(rawQuery("SELECT pg_current_wal_lsn()::text"));
    return parseLsn(result.rows[0]?.[0]);
  }

  /**
   * One replica's replay position, and its lag: none when it has replayed what the primary had
   * written at the last sample; otherwise how long ago the last transaction it replayed
   * committed on the primary (PostgreSQL's own measure, exact to the commit).
   */
  #sample(replica: Replica): Promise<void> {
    replica.sampling ??= this.#takeSample(replica).finally(() => (replica.sampling = undefined));
    return replica.sampling;
  }

  async #takeSample(replica: Replica): Promise<void> {
    try {
      const result = await replica.db.queryRaw(
        rawQuery(
          "SELECT pg_last_wal_replay_lsn()::text, (EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())) * 1000)::float8::text",
        ),
      );
      const replayed = parseLsn(result.rows[0]?.[0]);
      if (replayed === undefined) throw new Error("not a streaming replica (pg_last_wal_replay_lsn() is null)");
      replica.replayed = replayed;
      const primaryAt = this.#primaryAt;
      const replayAge = Number(result.rows[0]?.[1]);
      replica.lagMs =
        primaryAt === undefined || replayed >= primaryAt ? 0 : Number.isFinite(replayAge) ? Math.max(0, replayAge) : undefined;
      if (!replica.healthy) this.#options.warn(`openai-responses-store: replica ${replica.url} is back in rotation`);
      replica.healthy = true;
      replica.lastError = undefined;
    } catch (error) {
      this.#markDown(replica, error);
    }
  }

  #markDown(replica: Replica, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (replica.healthy) this.#options.warn(`openai-responses-store: replica ${replica.url} left the rotation: ${message}`);
    replica.healthy = false;
    replica.lastError = message;
  }
}
