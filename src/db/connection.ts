/** What every engine's own pool shares: its settings, the hooks it reports to, and how it binds arguments. */
import type { ArgType } from "@prisma/driver-adapter-utils";

/** Driver pool settings (in Prisma 7 the pool belongs to the driver). */
export interface PoolOptions {
  /** Most connections the pool opens (PostgreSQL, MySQL). @default 10 */
  max?: number;
  /**
   * The longest one attempt waits: for a connection, or for a statement (replicas: a server
   * that stops answering leaves the rotation). Within a store call, its deadline bounds each
   * attempt too (db/deadline.ts). @default 30000
   */
  timeoutMs?: number;
}

/** The default bound of one attempt, and of a store call: 30 s. */
export const DEFAULT_ATTEMPT_MS = 30_000;

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
