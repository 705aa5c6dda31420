/** What every engine's own pool shares: its settings, the hooks it reports to, and how it binds arguments. */
import type { ArgType } from "@prisma/driver-adapter-utils";

/** Driver pool settings (in Prisma 7 the pool belongs to the driver). */
export interface PoolOptions {
  /** Most connections the pool opens (PostgreSQL, MySQL). @default 10 */
  max?: number;
  /**
   * PostgreSQL: give up on connecting, or on a query, after this long (replicas: a server that
   * stops answering leaves the rotation). @default none
   */
  timeoutMs?: number;
}

/** What a pool tells the store about itself. */
export interface PoolHooks {
  /** Hears of pooled connections the server closed (a restart, a failover): the pool replaces them. */
  onIdleError: (error: Error) => void;
  /** Hears of settings the pool changed by itself (PostgreSQL: named statements through a pooler). */
  warn: (message: string) => void;
}

/** Arguments as the driver binds them: "bigint" values (decimal strings) become BigInt. */
export function driverArgs(args: readonly unknown[], types: readonly ArgType[]): unknown[] {
  return args.map((v, i) => (types[i]?.scalarType === "bigint" && typeof v === "string" ? BigInt(v) : v));
}
