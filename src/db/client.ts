/**
 * Opens the connection the repository queries through: Prisma's driver adapter for the URL's
 * provider (better-sqlite3, pg or mariadb), used directly, without the ORM's query layer, which
 * costs about 150 µs per query (see bench/). pg and mariadb load only for their provider.
 */
import type { SqlDriverAdapter } from "@prisma/driver-adapter-utils";
import { SQLITE_BUSY_TIMEOUT_MS, mysqlConfig, sqlitePath, type ProviderName } from "./providers.js";

export type { SqlDriverAdapter };

/** Driver pool settings (in Prisma 7 the pool belongs to the driver). */
export interface PoolOptions {
  /** Most connections the pool opens (PostgreSQL, MySQL). @default 10 */
  max?: number;
}

/**
 * Connects Prisma's driver adapter for `url` on `provider`. Dispose it to close the pool.
 * `onIdleError` hears of pooled connections the server closed (a restart, a failover): the pool
 * replaces them, and the next query fails only if the server is still gone.
 */
export async function openAdapter(
  provider: ProviderName,
  url: string,
  pool: PoolOptions = {},
  onIdleError: (error: Error) => void = () => {},
): Promise<SqlDriverAdapter> {
  switch (provider) {
    case "sqlite": {
      const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");
      return new PrismaBetterSqlite3({ url: sqlitePath(url), timeout: SQLITE_BUSY_TIMEOUT_MS }).connect();
    }
    case "postgresql": {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      return new PrismaPg({ connectionString: url, max: pool.max ?? 10 }, { onPoolError: onIdleError, onConnectionError: onIdleError }).connect();
    }
    case "mysql": {
      const { PrismaMariaDb } = await import("@prisma/adapter-mariadb");
      // foundRows (the driver's default, kept explicit): UPDATE reports matched rows, so an
      // update that changes nothing still counts as done.
      return new PrismaMariaDb(
        { ...mysqlConfig(url), connectionLimit: pool.max ?? 10, foundRows: true },
        { onConnectionError: onIdleError },
      ).connect();
    }
  }
}
