// Which database errors the queue retries (transient) and which fail their write (permanent).
import { describe, expect, test } from "vitest";
import { isTransient, isUniqueViolation } from "../../src/db/transient.js";

const err = (message: string, extra: object = {}) => Object.assign(new Error(message), extra);

describe("transient error classification", () => {
  test.each([
    ["pg dead client", err("Client has encountered a connection error and is not queryable")],
    ["pg terminated", err("Connection terminated unexpectedly")],
    ["pg admin shutdown", err("terminating connection due to administrator command", { code: "57P01" })],
    ["pg serialization failure", err("could not serialize access", { code: "40001" })],
    ["pg deadlock", err("deadlock detected", { code: "40P01" })],
    ["pg connection class 08", err("x", { code: "08006" })],
    ["refused", err("connect ECONNREFUSED 127.0.0.1:5432", { code: "ECONNREFUSED" })],
    ["mysql deadlock", err("Deadlock found", { errno: 1213 })],
    ["mysql lock wait", err("Lock wait timeout exceeded", { errno: 1205 })],
    ["sqlite busy", err("database is locked", { code: "SQLITE_BUSY" })],
    ["adapter kind", err("x", { cause: { kind: "TransactionWriteConflict" } })],
    ["adapter pg code", err("x", { cause: { kind: "postgres", originalCode: "40001" } })],
    ["wrapped", err("outer", { cause: err("inner", { code: "ECONNRESET" }) })],
  ])("%s is transient", (_, error) => expect(isTransient(error)).toBe(true));

  test.each([
    ["trigger exception", err("poison row", { code: "P0001" })],
    ["mysql signal", err("poison row", { errno: 1644 })],
    ["syntax", err("syntax error at or near", { code: "42601" })],
    ["unique", err("duplicate key", { cause: { kind: "UniqueConstraintViolation" } })],
    ["not an object", "boom"],
  ])("%s is permanent", (_, error) => expect(isTransient(error)).toBe(false));

  test("unique violations are recognised from adapters and from Prisma", () => {
    expect(isUniqueViolation(err("x", { cause: { kind: "UniqueConstraintViolation" } }))).toBe(true);
    expect(isUniqueViolation(err("x", { code: "P2002" }))).toBe(true);
    expect(
      isUniqueViolation(err("x", { code: "P2010", meta: { driverAdapterError: { cause: { kind: "UniqueConstraintViolation" } } } })),
    ).toBe(true);
    expect(isUniqueViolation(err("x"))).toBe(false);
  });
});
