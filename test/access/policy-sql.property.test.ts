// Property: under any policy, what each caller can list (page by page), get, re-store and
// delete through the store is exactly what the policy allows row by row (decide.ts, the
// oracle). This holds the SQL translation (where.ts, rendered per dialect) to the rule
// semantics on SQLite, PostgreSQL and MySQL/MariaDB, for responses and for conversation
// messages (their own resource type, sql_record::conversation_messages::<id>).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DEFAULT_POLICY, ResponsesStore, isAllowed, parsePolicy, type AccessRule, type Action, type User } from "../../src/index.js";
import { dialectFor } from "../../src/db/providers.js";
import { PROVIDERS } from "../support/databases.js";
import { byteCompare, listAllIds, makeResponse, silentLogger, storeFactory } from "../support/fixtures.js";

const ATTRIBUTES = ["roles", "teams"] as const;
const VALUES = ["a", "b", "x"] as const;
const PRINCIPALS = ["alice", "bob", "carol"] as const;

const attributesArb = fc.option(
  fc.record({ roles: fc.subarray([...VALUES]), teams: fc.subarray([...VALUES]) }, { requiredKeys: [] }),
  { nil: null },
);
const usersArb = fc.tuple(...PRINCIPALS.map((principal) => attributesArb.map((attributes): User => ({ principal, attributes }))));

const conditionArb = fc.oneof(
  fc.constantFrom("user is owner", "user is not owner", "resource is unowned"),
  fc.tuple(fc.constantFrom("user in owners", "user not in owners"), fc.constantFrom(...ATTRIBUTES)).map(([c, a]) => `${c} ${a}`),
  fc
    .tuple(fc.constantFrom("in", "not in"), fc.constantFrom(...VALUES), fc.constantFrom(...ATTRIBUTES))
    .map(([c, v, a]) => `user with ${v} ${c} ${a}`),
);
const scopeArb = fc.record(
  {
    actions: fc.subarray(["create", "read", "update", "delete"] as Action[], { minLength: 1 }),
    principal: fc.constantFrom(...PRINCIPALS),
    resource: fc.constantFrom(
      "sql_record::*",
      "sql_record::openai_responses::r1",
      "sql_record::openai_responses::r*",
      "sql_record::conversation_messages::r1",
      "sql_record::conversation_messages::r*",
      "other::*",
    ),
  },
  { requiredKeys: ["actions"] },
);
const ruleArb: fc.Arbitrary<AccessRule> = fc
  .tuple(fc.boolean(), scopeArb, fc.constantFrom("none", "when", "unless"), fc.array(conditionArb, { minLength: 1, maxLength: 2 }))
  .map(([permit, scope, mode, conditions]) => ({
    ...(permit ? { permit: scope } : { forbid: scope }),
    ...(mode === "none" ? {} : { [mode]: conditions }),
  }));
const policyArb = fc.array(ruleArb, { minLength: 0, maxLength: 4 });

/** Rows: id, created_at (ties on purpose), owner index (-1 = stored without a user). */
const rowsArb = fc.uniqueArray(
  fc.record({ id: fc.constantFrom("r0", "r1", "r2", "r10", "r11", "q1", "q2", "R1"), createdAt: fc.integer({ min: 1, max: 2 }), owner: fc.integer({ min: -1, max: 2 }) }),
  { selector: (r) => r.id, minLength: 1, maxLength: 6 },
);

describe.each(PROVIDERS)("the policy in SQL matches the policy in TypeScript on $label", (provider) => {
  const stores = storeFactory(provider);

  test("list, get, re-store and delete allow exactly what the rules allow", { timeout: 240_000 }, async () => {
    const url = await stores.url();
    const seeder = await stores.open({ queue: { enabled: false } });
    const runs = provider.name === "sqlite" ? 200 : 60;
    await fc.assert(
      fc.asyncProperty(usersArb, rowsArb, policyArb, fc.integer({ min: 1, max: 3 }), fc.nat(), async (users, rows, rules, limit, pick) => {
        const conn = await dialectFor(provider.name).openRawConnection(url);
        await conn.exec("DELETE FROM openai_responses");
        await conn.exec("DELETE FROM conversation_messages");
        await conn.close();
        const ownerOf = (i: number) => (i < 0 ? null : users[i]!);
        for (const r of rows) {
          await seeder.storeResponseObject(makeResponse({ id: r.id, created_at: r.createdAt, output: [] }), [], [], { user: ownerOf(r.owner) });
          await seeder.storeConversationMessages(r.id, [{ role: "user", content: r.id }], { user: ownerOf(r.owner) });
        }

        const policy = rules.length ? parsePolicy(rules) : DEFAULT_POLICY; // an empty policy means the default one
        const store = new ResponsesStore({ url, policy: rules, migrate: false, logger: silentLogger });
        try {
          const view = (r: (typeof rows)[number]) => ({
            id: r.id,
            owner: r.owner < 0 ? null : { principal: users[r.owner]!.principal, attributes: users[r.owner]!.attributes ?? null },
          });
          const may = (action: Action, r: (typeof rows)[number], user: User | null) => isAllowed(policy, action, view(r), user);
          const mayConversation = (action: Action, r: (typeof rows)[number], user: User | null) =>
            isAllowed(policy, action, { ...view(r), type: "conversation_messages" }, user);
          const order = [...rows].sort((a, b) => b.createdAt - a.createdAt || byteCompare(b.id, a.id));

          for (const user of [...users, null]) {
            const expected = order.filter((r) => may("read", r, user)).map((r) => r.id);
            expect(await listAllIds(store, { user, limit })).toEqual(expected);
            for (const r of rows) {
              const got = await store.getResponseObject(r.id, { user }).then(
                () => true,
                (e: { code?: string }) => (e.code === "RESPONSE_NOT_FOUND" ? false : Promise.reject(e)),
              );
              expect(got, `get ${r.id} as ${user?.principal ?? "nobody"}`).toBe(may("read", r, user));
              const conversation = await store.getConversationMessages(r.id, { user });
              expect(conversation !== null, `conversation ${r.id} as ${user?.principal ?? "nobody"}`).toBe(mayConversation("read", r, user));
            }
          }

          // One caller re-stores one row, then tries to delete every row.
          const user = [...users, null][pick % 4]!;
          const target = rows[pick % rows.length]!;
          const restore = await store.storeResponseObject(makeResponse({ id: target.id, created_at: target.createdAt, status: "restored", output: [] }), [], [], { user }).then(
            () => "ok",
            (e: { code?: string }) => e.code,
          );
          // The id is stored, so re-storing it needs `update` only (create or not).
          expect(restore).toBe(may("update", target, user) ? "ok" : "RESPONSE_ID_CONFLICT");
          const stored = await seeder.listResponses({ limit: 100, user: ownerOf(target.owner) });
          const after = stored.data.find((d) => d.id === target.id);
          if (after) expect(after.status).toBe(restore === "ok" ? "restored" : "completed"); // ownership unchanged: its owner still sees it

          for (const r of rows) {
            const deleted = await store.deleteResponseObject(r.id, { user }).then(
              () => true,
              (e: { code?: string }) => (e.code === "RESPONSE_NOT_FOUND" ? false : Promise.reject(e)),
            );
            expect(deleted, `delete ${r.id} as ${user?.principal ?? "nobody"}`).toBe(may("read", r, user) && may("delete", r, user));
            const deletedConversation = await store.deleteConversationMessages(r.id, { user }).then(
              () => true,
              (e: { code?: string }) => (e.code === "CONVERSATION_NOT_FOUND" ? false : Promise.reject(e)),
            );
            expect(deletedConversation, `delete conversation ${r.id}`).toBe(mayConversation("read", r, user) && mayConversation("delete", r, user));
          }
        } finally {
          await store.shutdown();
        }
      }),
      { numRuns: runs },
    );
  });
});
