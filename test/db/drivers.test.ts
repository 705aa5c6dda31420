// The store's own connections (db/drivers.ts) on every provider: transactions commit or roll
// back whole, a statement issued while a transaction is open never lands inside it, unique
// violations are recognised, bigint arguments bind exactly, and a driver error's message
// never carries the statement's parameters (stored content) into logs.
import { describe, expect, test } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { openDriverDb } from "../../src/db/drivers.js";
import { pgConnection } from "../../src/db/dialects/postgresql.js";
import { dialectFor } from "../../src/db/providers.js";
import { isUniqueViolation } from "../../src/db/transient.js";
import { StorageError } from "../../src/errors.js";
import { SqlParams } from "../../src/repository/sql.js";
import { PROVIDERS, freshDatabase } from "../support/databases.js";

describe.each(PROVIDERS)("the store's driver connection on $label", (provider) => {
  async function open() {
    const fresh = await freshDatabase(provider);
    await migrate(provider.name, fresh.url);
    const db = await openDriverDb(provider.name, fresh.url);
    const dialect = dialectFor(provider.name);
    const insert = (id: string, createdAt = "1") => {
      const p = new SqlParams(dialect);
      return p.query(
        `INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES (${p.value(id)}, ${p.value(createdAt, "bigint")}, ${p.value('{"secret":"do not log"}', "json")}, ${p.value("m")}, '')`,
      );
    };
    const ids = async () =>
      (await db.queryRaw({ sql: "SELECT id FROM openai_responses ORDER BY id", args: [], argTypes: [] })).rows.map((r) => String(r[0]));
    return { db, insert, ids, close: async () => (await db.dispose(), await fresh.drop()) };
  }

  test("a transaction commits whole, or rolls back whole when its callback throws", async () => {
    const { db, insert, ids, close } = await open();
    try {
      await db.transaction(async (tx) => {
        await tx.executeRaw(insert("a"));
        await tx.executeRaw(insert("b"));
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.executeRaw(insert("c"));
          throw new Error("changed my mind");
        }),
      ).rejects.toThrow("changed my mind");
      expect(await ids()).toEqual(["a", "b"]);
    } finally {
      await close();
    }
  });

  test("a statement issued while a transaction is open is not part of it", async () => {
    const { db, insert, ids, close } = await open();
    try {
      let outside: Promise<number> | undefined;
      await expect(
        db.transaction(async (tx) => {
          await tx.executeRaw(insert("in_tx"));
          outside = db.executeRaw(insert("outside")); // another caller, meanwhile
          await new Promise((r) => setTimeout(r, 20));
          throw new Error("roll back");
        }),
      ).rejects.toThrow("roll back");
      expect(await outside).toBe(1);
      expect(await ids()).toEqual(["outside"]);
    } finally {
      await close();
    }
  });

  test("a duplicate id is a unique violation; bigints bind exactly", async () => {
    const { db, insert, close } = await open();
    try {
      await db.executeRaw(insert("dup", String(Number.MAX_SAFE_INTEGER)));
      const error = await db.executeRaw(insert("dup")).catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      const p = new SqlParams(dialectFor(provider.name));
      const found = await db.queryRaw(
        p.query(`SELECT created_at FROM openai_responses WHERE created_at = ${p.value(String(Number.MAX_SAFE_INTEGER), "bigint")}`),
      );
      expect(String(found.rows[0]?.[0])).toBe(String(Number.MAX_SAFE_INTEGER));
      // What reaches messages and logs names the failure, not the stored content.
      expect(new StorageError("storeResponseObject", false, { cause: error }).message).not.toContain("do not log");
    } finally {
      await close();
    }
  });
});

describe("PostgreSQL URL parameters Prisma users write", () => {
  test("schema and pgbouncer are read and taken out before pg sees the URL", () => {
    expect(pgConnection("postgresql://u:p@h:5432/db")).toMatchObject({
      connectionString: "postgresql://u:p@h:5432/db",
      prepared: true,
      schema: undefined,
    });
    expect(pgConnection("postgresql://u:p@h:5432/db?schema=tenant_a&pgbouncer=true&sslmode=disable")).toMatchObject({
      connectionString: "postgresql://u:p@h:5432/db?sslmode=disable",
      prepared: false,
      schema: "tenant_a",
    });
    expect(pgConnection("postgresql://h/db?pgbouncer=false").prepared).toBe(true);
    expect(pgConnection("postgresql://h/db?schema=").schema).toBeUndefined();
  });

  test("a multi-host URL, as libpq takes it, is one URL per server and the kind of server wanted", () => {
    expect(pgConnection("postgresql://u:p@h1:5441,h2:5442/db?schema=s&target_session_attrs=primary&sslmode=disable")).toMatchObject({
      schema: "s",
      servers: { urls: ["postgresql://u:p@h1:5441/db?sslmode=disable", "postgresql://u:p@h2:5442/db?sslmode=disable"], attrs: "primary" },
    });
    expect(pgConnection("postgresql://u@/db?host=h1,h2&port=5441,5442").servers).toEqual({
      urls: ["postgresql://u@h1:5441/db", "postgresql://u@h2:5442/db"],
      attrs: "read-write", // several hosts and no target_session_attrs: the store needs a server it can write to
    });
    expect(pgConnection("postgresql://u@[::1]:5441,h2/db").servers.urls).toEqual(["postgresql://u@[::1]:5441/db", "postgresql://u@h2/db"]);
    expect(pgConnection("postgresql://u@h/db").servers).toEqual({ urls: ["postgresql://u@h/db"], attrs: "any" });
  });
});
