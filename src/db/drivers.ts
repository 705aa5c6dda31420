/**
 * The store's own connections: each engine's pool, opened through its dialect record.
 *
 * better-sqlite3, pg and mariadb are used directly, with each driver's fastest settings
 * (`dialects/<engine>.ts`), as the `Db` the repository queries through. Prisma's driver adapters
 * remain for hosts that hand one over (client.ts); why the store does not use them itself: README,
 * Benchmark. Drivers load only for their engine.
 */
import type { Db } from "./client.js";
import type { PoolHooks, PoolOptions } from "./connection.js";
import { dialectFor, type ProviderName } from "./providers.js";

export type { PoolOptions } from "./connection.js";

/**
 * Opens the store's own connection to `url`. Dispose it to close the pool. `onIdleError` hears
 * of pooled connections the server closed (a restart, a failover): the pool replaces them, and
 * the next query fails only if the server is still gone.
 */
export function openDriverDb(
  provider: ProviderName,
  url: string,
  pool: PoolOptions = {},
  onIdleError: PoolHooks["onIdleError"] = () => {},
  warn: PoolHooks["warn"] = () => {},
): Promise<Db> {
  return dialectFor(provider).openPool(url, pool, { onIdleError, warn });
}
