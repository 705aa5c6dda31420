// A host app's own connection: the store queries through a Prisma driver adapter over the
// host's pool and leaves that pool open; and the model fragment for hosts' own schemas stays in
// step with ours.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaMariaDb } from "@prisma/adapter-mariadb";
import { PrismaPg } from "@prisma/adapter-pg";
import mariadb from "mariadb";
import pg from "pg";
import { describe, expect, test } from "vitest";
import { ConfigurationError, createResponsesStore, migrate, ResponsesStore } from "../../src/index.js";
import { mysqlConfig, sqlitePath } from "../../src/db/providers.js";
import { PROVIDERS } from "../support/databases.js";
import { listAllIds, makeResponse, silentLogger, storeFactory } from "../support/fixtures.js";
import { generatedClient } from "../support/generated-client.js";

describe.each(PROVIDERS)("bring your own pool on $label", (provider) => {
  const stores = storeFactory(provider);

  test("the store queries through the host's pool and leaves it open on shutdown", async () => {
    const url = await stores.url();
    await migrate(provider.name, url); // the host's deploy step
    let hostQuery: () => Promise<unknown>;
    let closeHost: () => Promise<unknown>;
    let adapter;
    if (provider.name === "postgresql") {
      const pool = new pg.Pool({ connectionString: url, max: 3 });
      pool.on("error", () => {}); // as a host does: the test's DROP DATABASE may reach a connection still closing
      adapter = new PrismaPg(pool);
      hostQuery = () => pool.query("SELECT 1");
      closeHost = () => pool.end();
    } else if (provider.name === "mysql") {
      const pool = mariadb.createPool({ ...mysqlConfig(url), connectionLimit: 3 });
      adapter = new PrismaMariaDb(pool);
      hostQuery = () => pool.query("SELECT 1");
      closeHost = () => pool.end();
    } else {
      adapter = new PrismaBetterSqlite3({ url: sqlitePath(url) });
      hostQuery = async () => 1;
      closeHost = async () => {};
    }
    const store = await createResponsesStore({ adapter, migrate: false, logger: silentLogger });
    expect(store.provider).toBe(provider.name);
    await store.storeResponseObject(makeResponse({ id: "resp_byo" }), []);
    expect((await store.getResponseObject("resp_byo")).id).toBe("resp_byo");
    await store.shutdown();
    await expect(hostQuery()).resolves.toBeDefined(); // the host's pool still works
    await closeHost();
    const check = await stores.open();
    expect((await check.getResponseObject("resp_byo")).id).toBe("resp_byo");
  });
});

describe("bring-your-own configuration", () => {
  test("an adapter without a url must opt out of migrations, clearly", () => {
    const adapter = new PrismaBetterSqlite3({ url: "/tmp/never.db" });
    expect(() => new ResponsesStore({ adapter })).toThrow(ConfigurationError);
    expect(() => new ResponsesStore({ adapter })).toThrow(/migrate: false/);
    expect(() => new ResponsesStore({ adapter, url: "postgresql://x/y" })).toThrow(/'adapter' is for sqlite/);
    expect(() => new ResponsesStore({ adapter: { connect: () => 1 } as never, migrate: false })).toThrow(/driver adapter factory/);
    expect(new ResponsesStore({ adapter, migrate: false }).provider).toBe("sqlite");
  });

  test("the model fragment for hosts' schemas matches the SQLite schema's models", () => {
    const model = (file: string, name: string) =>
      new RegExp(`model ${name} \\{[\\s\\S]*?\\n\\}`)
        .exec(readFileSync(join(import.meta.dirname, "..", "..", "prisma", file), "utf8"))![0]
        .split("\n")
        .map((l) =>
          l
            .replace(/\/\/\/.*$/, "")
            .replace(/\s+/g, " ")
            .trim(),
        )
        .filter(Boolean)
        .join("\n");
    for (const name of ["OpenAIResponse", "ConversationMessages"]) {
      expect(model("fragment/responses.prisma", name)).toBe(model("sqlite/schema.prisma", name));
    }
  });
});

describe.each(PROVIDERS)("bring your own PrismaClient on $label", (provider) => {
  const stores = storeFactory(provider);

  test("the whole store works through a host's PrismaClient, which it never disconnects", async () => {
    const url = await stores.url();
    await migrate(provider.name, url);
    const client = await generatedClient(provider.name, url);
    try {
      const store = await createResponsesStore({
        prisma: client,
        provider: provider.name,
        migrate: false,
        logger: silentLogger,
        policy: [
          { permit: { actions: ["create", "read", "update", "delete"] }, when: "user is owner" },
          { permit: { actions: ["read"] }, when: "user in owners teams" },
        ],
      });
      const alice = { principal: "alice", attributes: { teams: ["ml"] } };
      const bob = { principal: "bob", attributes: { teams: ["ml"] } };
      await store.storeResponseObject(makeResponse({ id: "resp_a", created_at: 2 }), [], [], { user: alice });
      await store.storeResponseObject(makeResponse({ id: "resp_a", created_at: 2, instructions: "again" }), [], [], { user: alice });
      await expect(store.storeResponseObject(makeResponse({ id: "resp_a" }), [], [], { user: bob })).rejects.toMatchObject({
        code: "RESPONSE_ID_CONFLICT",
      });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.storeResponseObject(makeResponse({ id: `resp_b${i}`, created_at: 1 }), [], [], { user: bob }),
        ),
      );
      expect(await store.getResponseObject("resp_a", { user: bob })).toMatchObject({ instructions: "again" }); // team read
      expect((await listAllIds(store, { user: alice, limit: 7 })).length).toBe(21);
      await expect(store.deleteResponseObject("resp_a", { user: bob })).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
      expect(await store.deleteResponseObject("resp_a", { user: alice })).toMatchObject({ deleted: true });
      await store.shutdown();
      expect(await client.$queryRawUnsafe("SELECT 1 AS one")).toHaveLength(1); // still connected
    } finally {
      await client.$disconnect();
    }
  });

  test("a PrismaClient needs its provider named", () => {
    expect(() => new ResponsesStore({ prisma: { $queryRawUnsafe() {} } as never, migrate: false })).toThrow(/provider/);
  });
});
