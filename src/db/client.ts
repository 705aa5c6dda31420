/**
 * Builds the PrismaClient for a URL: the client generated for its provider, with that
 * provider's driver adapter. pg and mariadb are loaded only when their provider is used.
 */
import type { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";
import { SQLITE_BUSY_TIMEOUT_MS, mysqlConfig, sqlitePath, type ProviderName } from "./providers.js";

/**
 * The client the repository talks to. The three generated clients differ only in types the
 * repository does not use (JSON path filters), so the SQLite client's type stands for all.
 */
export type ResponsesPrismaClient = SqliteClient;

/** Driver pool settings (in Prisma 7 the pool belongs to the driver). */
export interface PoolOptions {
  /** Most connections the pool opens (PostgreSQL, MySQL). @default 10 */
  max?: number;
}

/** Opens a PrismaClient for `url` on `provider`. */
export async function createPrismaClient(
  provider: ProviderName,
  url: string,
  pool: PoolOptions = {},
): Promise<ResponsesPrismaClient> {
  switch (provider) {
    case "sqlite": {
      const [{ PrismaBetterSqlite3 }, { PrismaClient }] = await Promise.all([
        import("@prisma/adapter-better-sqlite3"),
        import("./generated/sqlite/client.js"),
      ]);
      return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: sqlitePath(url), timeout: SQLITE_BUSY_TIMEOUT_MS }) });
    }
    case "postgresql": {
      const [{ PrismaPg }, { PrismaClient }] = await Promise.all([
        import("@prisma/adapter-pg"),
        import("./generated/postgresql/client.js"),
      ]);
      const adapter = new PrismaPg({ connectionString: url, max: pool.max ?? 10 });
      return new PrismaClient({ adapter }) as unknown as ResponsesPrismaClient;
    }
    case "mysql": {
      const [{ PrismaMariaDb }, { PrismaClient }] = await Promise.all([
        import("@prisma/adapter-mariadb"),
        import("./generated/mysql/client.js"),
      ]);
      const adapter = new PrismaMariaDb({ ...mysqlConfig(url), connectionLimit: pool.max ?? 10 });
      return new PrismaClient({ adapter }) as unknown as ResponsesPrismaClient;
    }
  }
}
