/**
 * What `initialize()` opens, in order: migrations, the primary, the server's traits, repositories, replicas, the queue.
 */
import { createHash } from "node:crypto";
import { adapterDb, prismaDb, type Db, type SqlDriverAdapter } from "../db/client.js";
import { openDriverDb } from "../db/drivers.js";
import { beforeDeadline } from "../db/deadline.js";
import { migrate } from "../db/migrate.js";
import { runStorage } from "../db/transient.js";
import { dialectFor, qualifiedTable, redactUrl, type Dialect } from "../db/providers.js";
import { REPLICA_PROBE_MS, REPLICA_TIMEOUT_MS, ReplicaRouter } from "../db/replicas.js";
import type { ResolvedOptions } from "../options.js";
import { WriteQueue } from "../queue/write-queue.js";
import { serverTraits, type ServerTraits } from "../repository/chain-sql.js";
import { ConversationMessagesRepository } from "../repository/conversation-messages-repository.js";
import { ConversationsRepository } from "../repository/conversations-repository.js";
import { LeasesRepository } from "../repository/leases-repository.js";
import { ResponseEventsRepository } from "../repository/response-events-repository.js";
import type { RememberedTurns } from "../repository/remembered-turns.js";
import { ResponsesRepository } from "../repository/responses-repository.js";
import { tableRef, type WriteAccess } from "../repository/responses-table.js";
import type { Backend, Repositories } from "./runtime.js";

/** The repositories over `db`, with the tables named as configured. */
function repositoriesOn(
  db: Db,
  dialect: Dialect,
  options: ResolvedOptions,
  server: ServerTraits,
  remembered: RememberedTurns,
): Repositories {
  const table = (name: string) => qualifiedTable(dialect, options.schema, name);
  return {
    // Remembered turns answer reads on replicas too, under the same digest check against the replica's row.
    responses: new ResponsesRepository(
      db,
      dialect,
      tableRef(dialect, table("openai_responses"), server, table("response_events"), options.messageReferences),
      remembered,
    ),
    messages: new ConversationMessagesRepository(db, dialect, table("conversation_messages")),
    conversations: new ConversationsRepository(db, dialect, {
      conversations: table("conversations"),
      items: table("conversation_items"),
      operations: table("conversation_operations"),
    }),
    leases: new LeasesRepository(db, dialect, table("store_leases")),
    events: new ResponseEventsRepository(db, dialect, { events: table("response_events"), responses: table("openai_responses") }),
  };
}

/** The primary connection: a host's PrismaClient or driver adapter, else the store's own pool. */
async function openPrimary(options: ResolvedOptions): Promise<Db> {
  const { provider, url, pool, logger, timeoutMs } = options;
  if (options.prisma) return prismaDb(options.prisma);
  if (options.adapter) return adapterDb((await options.adapter.connect()) as SqlDriverAdapter);
  return openDriverDb(
    provider,
    url,
    { ...pool, timeoutMs },
    (error) => logger.warn(`openai-responses-store: a pooled database connection failed: ${error.message}`),
    (message) => logger.warn(message),
  );
}

/** Connects the read replicas and starts sampling their replay positions. */
async function openReplicas(
  primary: Db,
  dialect: Dialect,
  options: ResolvedOptions,
  server: ServerTraits,
  remembered: RememberedTurns,
): Promise<Backend["replicas"]> {
  const { pool, logger, provider, maxReplicaLagMs } = options;
  const repositories = new Map<Db, Repositories>();
  const opened: { url: string; db: Db }[] = [];
  for (const url of options.replicas) {
    const db = await openDriverDb(
      provider,
      url,
      { ...pool, timeoutMs: REPLICA_TIMEOUT_MS },
      () => {},
      (message) => logger.warn(message),
    );
    repositories.set(db, repositoriesOn(db, dialect, options, server, remembered));
    opened.push({ url: redactUrl(url), db });
  }
  const router = new ReplicaRouter(primary, opened, {
    maxLagMs: maxReplicaLagMs,
    probeIntervalMs: REPLICA_PROBE_MS,
    warn: (m) => logger.warn(m),
  });
  await router.start();
  return { router, repositories };
}

/**
 * The database's identity in consistency tokens: a digest of its first migration's id (a random
 * UUID written once, replicated to every node and replica); where there is no migration history
 * to read, of the URL's database and schema.
 */
async function databaseIdentity(db: Db, dialect: Dialect, options: ResolvedOptions): Promise<string> {
  const digest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);
  try {
    const table = qualifiedTable(dialect, options.schema, "_prisma_migrations");
    const { rows } = await db.queryRaw({ sql: `SELECT id FROM ${table} ORDER BY started_at, id LIMIT 1`, args: [], argTypes: [] });
    const id = rows[0]?.[0];
    if (typeof id === "string" && id) return digest(`migrations:${id}`);
  } catch {
    // no history here (tables made another way): the URL names the database
  }
  const u = /^[a-z]+:\/\/[^/]*(\/[^?#]*)?/i.exec(options.url)?.[1] ?? options.url;
  return digest(`url:${options.provider}:${u}:${options.schema ?? ""}`);
}

/** Opens everything a store runs on; `writeAccess` is what queued writes are checked against. */
export async function openBackend(options: ResolvedOptions, remembered: RememberedTurns, writeAccess: WriteAccess): Promise<Backend> {
  const { provider, logger, schema, migrationUrl, timeoutMs } = options;
  if (options.migrate) {
    const { applied } = await migrate(provider, migrationUrl, { schema, timeoutMs });
    if (applied.length) logger.info(`openai-responses-store: applied ${applied.join(", ")} on ${redactUrl(migrationUrl)}`);
  }
  const dialect = dialectFor(provider);
  // The connection is tried once before anything else: a database that is not there, or a server
  // that does not answer, fails initialize() at once, saying whether trying again can help.
  const db = await runStorage("connect", async () => {
    const opened = await openPrimary(options);
    try {
      await beforeDeadline("to connect", timeoutMs, () => opened.queryRaw({ sql: "SELECT 1", args: [], argTypes: [] }));
    } catch (error) {
      await opened.dispose().catch(() => {});
      throw error;
    }
    return opened;
  });
  const server = await serverTraits(db, dialect);
  const primary = repositoriesOn(db, dialect, options, server, remembered);
  const replicas = options.replicas.length ? await openReplicas(db, dialect, options, server, remembered) : undefined;
  const queue =
    options.queue &&
    new WriteQueue(async (writes, bounds) => {
      try {
        return await primary.responses.on(db.within(bounds)).write(writes, writeAccess);
      } finally {
        await replicas?.router.noteWrite(); // before any writer hears its write is done
      }
    }, options.queue);
  return { db, database: await databaseIdentity(db, dialect, options), ...primary, queue, replicas };
}
