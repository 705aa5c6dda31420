/**
 * Prisma's own schema engine (the wasm build) driven over a driver adapter, for what the
 * native `prisma migrate` would do where its binary cannot be downloaded: authoring migration
 * SQL (`scripts/migration-sql.ts`) and checking, in tests, that a migrated database is exactly
 * what the generated client expects. SQLite and PostgreSQL only: the published wasm has no
 * MySQL connector.
 */
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";

const require = createRequire(import.meta.url);
const root = resolve(dirname(new URL(import.meta.url).pathname), "..", "..");

type EngineClass = {
  new: (options: { datamodels?: [string, string][] }, log: (m: string) => void, adapter: unknown) => Promise<Engine>;
};
/** The subset of the wasm SchemaEngine's methods used here. */
interface Engine {
  diff(input: unknown): Promise<{ exitCode: number; stdout?: string }>;
  diagnoseMigrationHistory(input: unknown): Promise<{
    editedMigrationNames: string[];
    failedMigrationNames: string[];
    hasMigrationsTable: boolean;
    history: unknown;
  }>;
  applyMigrations(input: unknown): Promise<{ appliedMigrationNames: string[] }>;
  free(): void;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown, imports: Record<string, unknown>) => { exports: unknown };
}

let engineClass: Promise<EngineClass> | undefined;

function loadEngineClass(): Promise<EngineClass> {
  engineClass ??= (async () => {
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (m: string) => console.error("[schema-engine panic]", m),
    };
    const dir = dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg"));
    const glue = (await import(pathToFileURL(join(dir, "schema_engine_bg.js")).href)) as Record<string, unknown> & {
      __wbg_set_wasm(exports: unknown): void;
      SchemaEngine: EngineClass;
    };
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(readFileSync(join(dir, "schema_engine_bg.wasm"))), {
      "./schema_engine_bg.js": glue,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue.SchemaEngine;
  })();
  return engineClass;
}

export type EngineProvider = "sqlite" | "postgresql";

/** The schema file of a provider, as the engine's `files` input. */
export function schemaFiles(provider: EngineProvider) {
  const path = join(root, "prisma", provider, "schema.prisma");
  return [{ path, content: readFileSync(path, "utf8") }];
}

/** The provider's committed migrations, as the engine's MigrationList. */
export function migrationList(provider: EngineProvider) {
  const baseDir = join(root, "prisma", provider, "migrations");
  const lockPath = join(baseDir, "migration_lock.toml");
  return {
    baseDir,
    lockfile: { path: lockPath, content: readFileSync(lockPath, "utf8") },
    shadowDbInitScript: "",
    migrationDirectories: readdirSync(baseDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .map((name) => ({
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: { tag: "ok", value: readFileSync(join(baseDir, name, "migration.sql"), "utf8") },
        },
      })),
  };
}

/**
 * A pg pool whose results report `"char"` columns (OID 18) as text: @prisma/adapter-pg rejects
 * OID 18, and the engine's describer selects pg_constraint.contype.
 */
function charSafePool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 2 });
  // pool.end() resolves once its clients are told to end, not once their sockets close; a test
  // that drops its database right after (DROP DATABASE ... WITH (FORCE)) can reach a backend
  // before it has read the Terminate, and the client hears "terminating connection" (57P01).
  // The adapter's own listener is gone by then (dispose removes it), and an 'error' event with
  // no listener is an uncaught exception: a connection that fails after the engine is done is
  // of no interest.
  pool.on("error", () => {});
  const patchFields = (r: { fields?: { dataTypeID: number }[] } | undefined) => {
    for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
    return r;
  };
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const last = args.at(-1);
      if (typeof last === "function") {
        // pg.Pool#query calls client.query with a callback
        args[args.length - 1] = (err: unknown, r: { fields?: { dataTypeID: number }[] }) => last(err, patchFields(r));
        return query(...args);
      }
      const result = query(...args);
      return result instanceof Promise ? result.then(patchFields) : result;
    };
  });
  return pool;
}

/** Opens the engine on a live database. Call `close()` when done. */
export async function openEngine(provider: EngineProvider, url: string) {
  const Engine = await loadEngineClass();
  let factory: SqlMigrationAwareDriverAdapterFactory;
  let pool: pg.Pool | undefined;
  if (provider === "sqlite") {
    factory = new PrismaBetterSqlite3({ url: url.replace(/^file:/, "") });
  } else {
    pool = charSafePool(url);
    factory = new PrismaPg(pool);
  }
  // Keep what the engine connects, so that close() releases it (engine.free() does not): an
  // in-process engine would otherwise keep its SQLite connection, and its locks, until GC.
  const connected: { dispose(): Promise<void> }[] = [];
  for (const method of ["connect", "connectToShadowDb"] as const) {
    const original = factory[method].bind(factory);
    (factory as unknown as Record<string, unknown>)[method] = async () => {
      const adapter = await original();
      connected.push(adapter);
      return adapter;
    };
  }
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  const files = schemaFiles(provider);
  const engine = await Engine.new({ datamodels: files.map((f) => [f.path, f.content]) }, () => {}, bound);
  return {
    engine,
    /** Resolves driver errors the engine reports as "External error id#N". */
    explain(error: unknown): string {
      const m = /id#(\d+)/.exec(String(error));
      const rec = m ? (bound.errorRegistry.consumeError(Number(m[1])) as { error?: unknown } | undefined) : undefined;
      return rec ? `${String(error)}: ${JSON.stringify(rec.error)}` : String(error);
    },
    async close() {
      engine.free();
      for (const adapter of connected.splice(0)) await adapter.dispose().catch(() => {});
      await pool?.end();
    },
  };
}
