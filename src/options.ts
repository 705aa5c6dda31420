/**
 * The options of ResponsesStore: their types, zod schema and defaults, and their resolution into a provider.
 */
import { z } from "zod";
import { ConfigurationError, type ResponsesStoreError } from "./errors.js";
import type { WriteQueueOptions } from "./queue/write-queue.js";
import { resolvePolicy, type AccessRule, type CompiledRule } from "./access/policy.js";
import { assertUsableUrl, defaultUrl, dialectFor, providerFromUrl, redactUrl, type ProviderName } from "./db/providers.js";
import type { PrismaClientLike } from "./db/client.js";
import { DEFAULT_ATTEMPT_MS } from "./db/connection.js";
import { parseDuration } from "./duration.js";

/** The default end of a page: 4 MiB of JSON. */
const DEFAULT_PAGE_BYTES = 4 * 1024 * 1024;

/** The default bound of remembered turns: 64 MiB of their JSON text. */
export const DEFAULT_HISTORY_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * A Prisma 7 driver adapter factory (structurally: what PrismaPg, PrismaMariaDb and PrismaBetterSqlite3 are).
 *
 * @example
 * ```ts
 * import { PrismaPg } from "@prisma/adapter-pg";
 * const adapter: DriverAdapterFactory = new PrismaPg(hostPool);
 * const store = await createResponsesStore({ adapter, migrate: false });
 * ```
 */
export interface DriverAdapterFactory {
  readonly provider: string;
  connect(): Promise<unknown>;
}

/**
 * A logger the store reports to; `console` fits.
 *
 * @example
 * ```ts
 * const logger: Logger = { debug() {}, info: console.info, warn: console.warn, error: console.error };
 * const store = await createResponsesStore({ logger });
 * ```
 */
export type Logger = Pick<Console, "debug" | "info" | "warn" | "error">;

/**
 * How to build a {@link ResponsesStore}.
 *
 * @example
 * ```ts
 * const options: ResponsesStoreOptions = { url: "postgresql://app@db/app", pool: { max: 5 } };
 * ```
 */
export interface ResponsesStoreOptions {
  /**
   * Database URL; its scheme picks the provider: `file:` (SQLite), `postgresql://` or
   * `postgres://`, `mysql://` or `mariadb://`.
   * @default process.env.DATABASE_URL ?? "file:./responses.db"
   */
  url?: string;
  /**
   * Access rules ({@link AccessRule}), enforced in SQL on every read, list, cursor, delete and
   * update. The empty policy (the default) isolates owners: a user sees and changes the rows it
   * stored and rows stored without a user; a caller without a user sees only the latter.
   * @default []
   */
  policy?: readonly AccessRule[];
  /**
   * Apply the bundled migrations in `initialize()`. Turn off when migrations run at deploy time
   * (`prisma migrate deploy`).
   * @default true
   */
  migrate?: boolean;
  /**
   * A direct connection for migrations, when `url` goes through a connection pooler (PgBouncer
   * in transaction mode, Supabase's or Neon's pooler): Prisma's `directUrl`. Queries keep using
   * `url`. It must name the same database (and the same `?schema=`).
   * @default url
   */
  directUrl?: string;
  /**
   * Read replicas (PostgreSQL streaming replicas of the primary at `url`). Gets, input items,
   * lists and stats go to a replica that is in rotation, within `maxReplicaLagMs` and replayed
   * past this store's own acknowledged writes; everything else, and every read that could see
   * something older than what this store wrote, goes to the primary.
   */
  replicas?: readonly string[];
  /** A replica further behind the primary than this is not read from. @default 3000 */
  maxReplicaLagMs?: number;
  /** Driver pool settings (PostgreSQL and MySQL). */
  pool?: { max?: number };
  /**
   * The longest any call waits for the database, in all: for a connection, for locks, for its
   * statements and (writes) their retries. A statement still running then is cancelled on the
   * server and its connection dropped, and the call fails with a retryable StorageError, so a
   * frozen server, a held table lock or a commit waiting for a dead synchronous standby cannot
   * hang the app. A write cut off may or may not have committed: every write of the store is
   * idempotent, so it can be made again. Migrations wait this long for the server and for locks.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Bytes (of JSON text) of conversation history the store keeps in memory: the newest turn of
   * each recent conversation, so that the next turn's input and messages are checked against
   * it item by item, and only the new items are validated, serialised and hashed (at turn
   * 1,000 the whole history is megabytes). The database stays the authority: a remembered turn
   * is used only when the stored parent has the same digest. 0 turns it off.
   * @default 67108864 (64 MiB)
   */
  historyCacheBytes?: number;
  /**
   * Stores a chat message that says again what one of the turn's items says (the user's
   * question as its input item, the previous answer as the parent's output item: `{ role,
   * content }` with the item's one text part) as a reference to that item, in a turn stored
   * linked to its parent. Reads give back the same messages. At 1,000 turns of a 300-byte question
   * and a 1.2 KB answer stored with whole lists, it stored 44% fewer bytes, and a cold read of
   * the whole history took 19% to 32% less (README, Benchmark). Releases before it read a
   * reference as a message: turn it on once every instance that reads the database runs this
   * release or a later one (rows written with it keep their references; every store of this
   * release reads them, whatever its own setting).
   * @default false
   */
  messageReferences?: boolean;
  /**
   * Where a page of `listResponses` or `listResponseInputItems` ends, in bytes of JSON, besides
   * `limit`: after the item that reaches it (a page holds at least one item), with `has_more` and
   * `last_id` continuing exactly. It bounds what one request makes the process hold: a list of
   * 100 responses of 10,000-turn conversations would otherwise build gigabytes.
   * @default 4194304 (4 MiB)
   */
  pageBytes?: number;
  /**
   * Bring your own connection: a Prisma 7 driver adapter factory over the host's pool, e.g.
   * `new PrismaPg(hostPgPool)` or `new PrismaMariaDb(hostMariadbPool)`. The store queries
   * through it and leaves the pool open on shutdown. Migrations still need `url`, or
   * `migrate: false` when the host applies them (`responses-store migrate deploy`, or our model
   * in its own Prisma schema: prisma/fragment/responses.prisma).
   */
  adapter?: DriverAdapterFactory;
  /**
   * Bring your own PrismaClient (any Prisma 7 client, whatever its models): the store runs its
   * SQL through `$queryRawUnsafe`/`$executeRawUnsafe`/`$transaction` on the host's pool and never
   * disconnects it. Give `provider` (the client does not tell), and `url` for migrations or
   * `migrate: false`.
   */
  prisma?: PrismaClientLike;
  /** The database family of `prisma`: "sqlite", "postgresql" or "mysql". */
  provider?: ProviderName;
  /** Where the store reports what it does. @default a logger that prints warnings and errors */
  logger?: Logger;
  /**
   * The write queue: on by default on PostgreSQL and MySQL/MariaDB, off on SQLite (as in the
   * reference). Queued writes are batched into multi-row upserts; each call still resolves only
   * once its own row is committed.
   */
  queue?: WriteQueueOptions & {
    /** @default true on PostgreSQL and MySQL/MariaDB, false on SQLite */
    enabled?: boolean;
  };
  /**
   * Automatic expiry: responses whose `created_at` is older than `responses` (a duration: "30d",
   * "12h", "5s"), conversations created longer ago than `conversations` (with their items) and
   * conversation messages last stored longer ago than `conversationMessages`, are deleted by a
   * reaper inside the store, in short batches, on one instance at a time however many run (they
   * share a lease in the database). Nothing expires unless this is given, and only what it
   * names. What was expired is counted in `stats().retention`.
   */
  retention?: {
    /** How old a response may get, by its `created_at`: "30d", "12h", "5s" (at least one second). */
    responses?: string;
    /** How old a conversation (Conversations API) may get, by its `created_at`. */
    conversations?: string;
    /** How long a conversation's chat messages are kept after they were last stored. */
    conversationMessages?: string;
    /** How often the reaper looks. @default a tenth of the shortest retention, between 1s and 1m */
    every?: string;
    /** Rows per delete (each batch its own short transaction). @default 200 */
    batchSize?: number;
  };
  /**
   * Hears of every store call that finally failed, awaited or not (fire-and-forget callers
   * learn of failures here and in the logs).
   */
  onWriteError?: (error: ResponsesStoreError, write: { id: string }) => void;
}

const optionsSchema = z.object({
  url: z.string().min(1).optional(),
  directUrl: z.string().min(1).optional(),
  replicas: z.array(z.string().min(1)).readonly().optional(),
  maxReplicaLagMs: z.number().int().min(0).optional(),
  policy: z.array(z.unknown()).readonly().optional(),
  migrate: z.boolean().optional(),
  pool: z.object({ max: z.number().int().min(1).max(1000).optional() }).optional(),
  timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
  historyCacheBytes: z.number().int().min(0).optional(),
  messageReferences: z.boolean().optional(),
  pageBytes: z.number().int().min(1).optional(),
  logger: z.custom<Logger>((l) => typeof l === "object" && l !== null && typeof (l as Logger).warn === "function").optional(),
  queue: z
    .object({
      enabled: z.boolean().optional(),
      concurrency: z.number().int().min(1).max(256).optional(),
      batchSize: z.number().int().min(1).max(1000).optional(),
      maxSize: z.number().int().min(1).optional(),
      retryDeadlineMs: z.number().int().min(0).optional(),
    })
    .optional(),
  adapter: z
    .custom<DriverAdapterFactory>(
      (a) =>
        typeof a === "object" &&
        a !== null &&
        typeof (a as DriverAdapterFactory).connect === "function" &&
        ["sqlite", "postgres", "mysql"].includes((a as DriverAdapterFactory).provider),
      { error: "expected a Prisma driver adapter factory (PrismaPg, PrismaMariaDb or PrismaBetterSqlite3)" },
    )
    .optional(),
  prisma: z
    .custom<PrismaClientLike>((c) => typeof c === "object" && c !== null && typeof (c as PrismaClientLike).$queryRawUnsafe === "function", {
      error: "expected a PrismaClient",
    })
    .optional(),
  provider: z.enum(["sqlite", "postgresql", "mysql"]).optional(),
  onWriteError: z.custom<(e: ResponsesStoreError, w: { id: string }) => void>((f) => typeof f === "function").optional(),
  retention: z
    .strictObject({
      responses: durationSchema(1000).optional(),
      conversations: durationSchema(1000).optional(),
      conversationMessages: durationSchema(1000).optional(),
      every: durationSchema(100, 86_400_000).optional(), // a timer cannot wait longer than 24.8 days; a day is plenty
      batchSize: z.number().int().min(1).max(10_000).optional(),
    })
    .refine((r) => r.responses !== undefined || r.conversations !== undefined || r.conversationMessages !== undefined, {
      error: 'name what expires: responses, conversations or conversationMessages (a duration such as "30d")',
    })
    .optional(),
});

/** A duration string of at least `minMs` (and at most `maxMs`), as milliseconds. */
function durationSchema(minMs: number, maxMs = Infinity) {
  return z.string().transform((text, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
    if (ms < minMs) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is shorter than the least allowed, ${minMs / 1000}s` });
      return z.NEVER;
    }
    if (ms > maxMs) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is longer than the most allowed, ${maxMs / 3_600_000}h` });
      return z.NEVER;
    }
    return ms;
  });
}

/** The reaper's settings, resolved. */
export interface RetentionSettings {
  /** How long each kind of row is kept (absent: it never expires). */
  keep: { responses?: number; conversations?: number; conversationMessages?: number };
  /** How often the reaper looks. */
  everyMs: number;
  batchSize: number;
  /** How long a lease lasts unless renewed: another instance takes over this long after its holder stops. */
  leaseMs: number;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  url: string;
  /** Where migrations connect: `directUrl`, else `url`. */
  migrationUrl: string;
  /** PostgreSQL's `?schema=` of `url`: where the tables are (undefined: the search_path). */
  schema: string | undefined;
  /** Read replica URLs (none: every read goes to the primary). */
  replicas: readonly string[];
  maxReplicaLagMs: number;
  provider: ProviderName;
  migrate: boolean;
  pool: { max?: number };
  /** The bound of every call, and of one attempt. */
  timeoutMs: number;
  historyCacheBytes: number;
  messageReferences: boolean;
  pageBytes: number;
  logger: Logger;
  /** The queue's settings, or undefined when writes go straight to the database. */
  queue: WriteQueueOptions | undefined;
  onWriteError: ((error: ResponsesStoreError, write: { id: string }) => void) | undefined;
  /** Automatic expiry, or undefined when nothing expires. */
  retention: RetentionSettings | undefined;
  policy: readonly CompiledRule[];
  adapter: DriverAdapterFactory | undefined;
  prisma: PrismaClientLike | undefined;
}

const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (...a: unknown[]) => console.warn(...a),
  error: (...a: unknown[]) => console.error(...a),
};

/**
 * Validates options and applies defaults.
 *
 * @throws ConfigurationError naming the bad option.
 * @throws PolicyError naming the bad rule.
 */
export function resolveOptions(options: ResponsesStoreOptions = {}): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = issue.path.map(String).join(".") || "options";
    throw new ConfigurationError(option, `Invalid option '${option}': ${issue.message}`);
  }
  const { adapter, prisma } = parsed.data;
  if (adapter && prisma) throw new ConfigurationError("prisma", "Give 'adapter' or 'prisma', not both");
  if (prisma && !parsed.data.provider) {
    throw new ConfigurationError(
      "provider",
      'With \'prisma\', say which database it talks to: provider: "sqlite" | "postgresql" | "mysql"',
    );
  }
  const adapterProvider =
    parsed.data.provider ??
    (adapter && ({ sqlite: "sqlite", postgres: "postgresql", mysql: "mysql" } as const)[adapter.provider as "sqlite"]);
  const own = adapter ? "adapter" : prisma ? "prisma" : undefined;
  if (own && parsed.data.migrate !== false && !parsed.data.url) {
    throw new ConfigurationError(
      "migrate",
      `With '${own}', give 'url' too (migrations run over their own connection) or pass 'migrate: false' and apply them at deploy time (responses-store migrate deploy)`,
    );
  }
  const url = parsed.data.url ?? (own ? `${adapterProvider}://(host ${own})` : defaultUrl());
  const provider = adapterProvider ?? providerFromUrl(url);
  if (adapterProvider && parsed.data.url && providerFromUrl(parsed.data.url) !== adapterProvider) {
    throw new ConfigurationError(
      "url",
      `'url' is a ${providerFromUrl(parsed.data.url)} URL but '${own ?? "provider"}' is for ${adapterProvider}`,
    );
  }
  const dialect = dialectFor(provider);
  // Malformed URLs are refused here, naming the part at fault (never the password), not at connect time.
  if (parsed.data.url !== undefined || !own) assertUsableUrl("url", url);
  if (parsed.data.directUrl !== undefined) assertUsableUrl("directUrl", parsed.data.directUrl);
  for (const replica of parsed.data.replicas ?? []) assertUsableUrl("replicas", replica);
  const { enabled = !dialect.exclusiveWrites, ...queue } = parsed.data.queue ?? {};
  const directUrl = parsed.data.directUrl;
  const schemaOf = (of: string) => dialect.schema?.of(of);
  const schema = own ? undefined : schemaOf(url);
  if (directUrl !== undefined) {
    if (providerFromUrl(directUrl) !== provider)
      throw new ConfigurationError("directUrl", `'directUrl' is a ${providerFromUrl(directUrl)} URL but the store is on ${provider}`);
    const direct = schemaOf(directUrl);
    if (direct !== undefined && direct !== schema) {
      throw new ConfigurationError(
        "directUrl",
        `'directUrl' names schema '${direct}' but 'url' names ${schema === undefined ? "none" : `'${schema}'`}: give both the same ?schema=`,
      );
    }
  }
  const replicas = parsed.data.replicas ?? [];
  const timeoutMs = parsed.data.timeoutMs ?? DEFAULT_ATTEMPT_MS;
  if (replicas.length && !dialect.readReplicas) {
    throw new ConfigurationError("replicas", `Read replicas are supported on PostgreSQL (streaming replicas), not on ${provider}`);
  }
  for (const replica of replicas) {
    if (providerFromUrl(replica) !== provider)
      throw new ConfigurationError("replicas", `Replica URL ${redactUrl(replica)} is not a postgresql:// URL`);
  }
  return {
    url,
    migrationUrl: directUrl ?? url,
    schema,
    replicas,
    maxReplicaLagMs: parsed.data.maxReplicaLagMs ?? 3000,
    provider,
    queue: enabled ? { ...queue, retryDeadlineMs: queue.retryDeadlineMs ?? timeoutMs } : undefined,
    onWriteError: parsed.data.onWriteError,
    retention: retentionOf(parsed.data.retention),
    policy: resolvePolicy(parsed.data.policy),
    adapter,
    prisma,
    migrate: parsed.data.migrate ?? true,
    pool: parsed.data.pool ?? {},
    timeoutMs,
    historyCacheBytes: parsed.data.historyCacheBytes ?? DEFAULT_HISTORY_CACHE_BYTES,
    messageReferences: parsed.data.messageReferences ?? false,
    pageBytes: parsed.data.pageBytes ?? DEFAULT_PAGE_BYTES,
    logger: parsed.data.logger ?? quietLogger,
  };
}

/** The reaper's settings from the parsed option. */
function retentionOf(
  parsed:
    | {
        responses?: number | undefined;
        conversations?: number | undefined;
        conversationMessages?: number | undefined;
        every?: number | undefined;
        batchSize?: number | undefined;
      }
    | undefined,
): RetentionSettings | undefined {
  if (!parsed) return undefined;
  const { every, batchSize, ...given } = parsed;
  const keep = Object.fromEntries(Object.entries(given).filter(([, ms]) => ms !== undefined)) as RetentionSettings["keep"];
  const shortest = Math.min(...Object.values<number>(keep));
  const everyMs = every ?? Math.min(60_000, Math.max(1000, shortest / 10));
  return { keep, everyMs, batchSize: batchSize ?? 200, leaseMs: Math.max(3 * everyMs, 15_000) };
}
