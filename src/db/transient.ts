/**
 * Backend errors, classified and wrapped once: transient or permanent, unique violations, runStorage.
 *
 * Each engine's codes are in its dialect file; Prisma's, the adapters' and the network's are here.
 * `runStorage` is the one place a driver error becomes a StorageError.
 */
import { StorageError, isResponsesStoreError } from "../errors.js";
import { DIALECTS, type DriverError } from "./providers.js";

const ENGINES = Object.values(DIALECTS);

/** Prisma error codes of conditions that pass. */
const PRISMA_TRANSIENT = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2034"]);
/** Node and driver error codes of lost connections. */
const NET_TRANSIENT =
  /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTCONN|ER_CONNECTION_ALREADY_CLOSED|ER_SOCKET_UNEXPECTED_CLOSE|ER_GET_CONNECTION_TIMEOUT|ER_CONNECTION_TIMEOUT)$/;
/** Adapter error kinds of conditions that pass. */
const KIND_TRANSIENT = new Set([
  "TransactionWriteConflict",
  "SocketTimeout",
  "DatabaseNotReachable",
  "DatabaseDoesNotExist_",
  "ConnectionClosed",
  "TooManyConnections",
  "TransactionAlreadyClosed",
]);
const MESSAGE_TRANSIENT =
  /connection (terminated|closed|lost|refused|reset)|not queryable|Connection terminated unexpectedly|Client was closed|server closed the connection|the database system is (starting up|shutting down)|terminating connection|database is locked|deadlock|could not serialize|timed? ?out|socket hang up|pool (is )?(closed|timeout)|ECONNREFUSED|ECONNRESET/i;

/**
 * True when `error` (or an error in its cause chain) may go away if the operation is tried
 * again (connection lost, server restarting, deadlock, serialization failure, SQLite busy), and
 * false when it will not (bad data, constraint, schema). Reads raw driver errors, driver-adapter
 * errors and Prisma errors.
 */
export function isTransient(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const e = error as DriverError & Record<string, unknown> & { cause?: unknown; meta?: Record<string, unknown> };
  const code = e.code;
  if (typeof code === "string" && (PRISMA_TRANSIENT.has(code) || NET_TRANSIENT.test(code))) return true;
  if (ENGINES.some((d) => d.transient(e))) return true;
  if (typeof e.kind === "string" && KIND_TRANSIENT.has(e.kind)) return true;
  // Driver adapters report the server's SQLSTATE or errno as originalCode.
  if (typeof e.originalCode === "string" && ENGINES.some((d) => d.transient({ code: e.originalCode }))) return true;
  if (e.name === "PrismaClientInitializationError" || e.name === "PrismaClientRustPanicError") return true;
  if (typeof e.message === "string" && MESSAGE_TRANSIENT.test(e.message)) return true;
  const adapterError = (e.meta?.driverAdapterError as { cause?: unknown } | undefined)?.cause;
  return isTransient(adapterError, depth + 1) || isTransient(e.cause, depth + 1);
}

/** True when `error` (or an error in its cause chain) is the engine's "lock wait timed out": a row or table another transaction holds. */
export function isLockTimeout(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const e = error as DriverError & { cause?: unknown };
  return ENGINES.some((d) => d.lockTimeout(e)) || isLockTimeout(e.cause, depth + 1);
}

/** True when `error` is a unique-constraint violation (a raw driver error, a driver-adapter error, or Prisma's P2002). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as DriverError & { cause?: { kind?: unknown }; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  // Raw drivers: each engine's code. Through a driver adapter: cause.kind; through PrismaClient
  // raw queries: P2010 with the adapter's error in meta; through the ORM: P2002.
  return (
    ENGINES.some((d) => d.uniqueViolation(e)) ||
    e.code === "P2002" ||
    e.cause?.kind === "UniqueConstraintViolation" ||
    e.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation"
  );
}

/** A backend failure of `operation` as the StorageError callers see, classified. */
export function storageError(operation: string, cause: unknown, attempts?: number, retryable = isTransient(cause)): StorageError {
  return new StorageError(operation, retryable, { cause, ...(attempts === undefined ? {} : { attempts }) });
}

/** Runs one database operation; a backend error is wrapped once into a StorageError, the store's own errors pass through untouched. */
export async function runStorage<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isResponsesStoreError(error)) throw error;
    throw storageError(operation, error);
  }
}
