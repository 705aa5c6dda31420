/**
 * Tells whether a database error may go away if the operation is tried again (connection
 * lost, server restarting, deadlock, serialization failure, SQLite busy) or not (bad data,
 * constraint, schema). Works on Prisma errors, driver-adapter errors and raw driver errors.
 */

/** Prisma error codes of conditions that pass. */
const PRISMA_TRANSIENT = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2034"]);
/**
 * PostgreSQL SQLSTATEs (and classes) of conditions that pass. 26000/42P05 (a named statement
 * missing, or already there, on a pooled server connection) pass too: the store goes on with
 * unnamed statements.
 */
const PG_TRANSIENT = /^(08...|40001|40P01|53300|55P03|57P0[123]|57014|26000|42P05)$/;
/** MySQL/MariaDB errno of conditions that pass. */
const MYSQL_TRANSIENT = new Set([1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 45009, 45028]);
/** Node and driver error codes of lost connections. */
const NET_TRANSIENT = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTCONN|ER_CONNECTION_ALREADY_CLOSED|ER_SOCKET_UNEXPECTED_CLOSE|ER_GET_CONNECTION_TIMEOUT|ER_CONNECTION_TIMEOUT|SQLITE_BUSY.*|SQLITE_LOCKED.*)$/;
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

/** True when `error` (or an error in its cause chain) is worth retrying. */
export function isTransient(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const e = error as Record<string, unknown> & { cause?: unknown; meta?: Record<string, unknown> };
  const code = e.code;
  if (typeof code === "string" && (PRISMA_TRANSIENT.has(code) || PG_TRANSIENT.test(code) || NET_TRANSIENT.test(code))) return true;
  if (typeof e.errno === "number" && MYSQL_TRANSIENT.has(e.errno)) return true;
  if (typeof e.kind === "string" && KIND_TRANSIENT.has(e.kind)) return true;
  if (typeof e.originalCode === "string" && PG_TRANSIENT.test(e.originalCode)) return true;
  if (e.name === "PrismaClientInitializationError" || e.name === "PrismaClientRustPanicError") return true;
  if (typeof e.message === "string" && MESSAGE_TRANSIENT.test(e.message)) return true;
  const adapterError = (e.meta?.driverAdapterError as { cause?: unknown } | undefined)?.cause;
  return isTransient(adapterError, depth + 1) || isTransient(e.cause, depth + 1);
}

/** True when `error` is a unique-constraint violation (a raw driver error, a driver-adapter error, or Prisma's P2002). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; errno?: unknown; cause?: { kind?: unknown }; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  // Raw drivers: PostgreSQL's SQLSTATE 23505, MySQL's errno 1062, SQLite's constraint codes.
  // Through a driver adapter: cause.kind; through PrismaClient raw queries: P2010 with the
  // adapter's error in meta; through the ORM: P2002.
  return (
    e.code === "23505" ||
    e.errno === 1062 ||
    e.code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    e.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    e.code === "P2002" ||
    e.cause?.kind === "UniqueConstraintViolation" ||
    e.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation"
  );
}
