// Property: under any policy, what each caller can list (page by page), get, re-store and
// delete through the store is exactly what the policy allows row by row (decide.ts, the
// oracle). This holds the SQL translation (where.ts, rendered per dialect) to the rule
// semantics on SQLite, PostgreSQL and MySQL/MariaDB, for responses and for conversation
// messages (their own resource type, sql_record::conversation_messages::<id>) and for
// conversations of the Conversations API with their items (sql_record::conversations::<id>).
// Responses form
// conversations that cross owners (a turn continuing another owner's turn, stored as a delta
// on it): a caller reads exactly what each visible turn was given, never another owner's items
// through a shared ancestor, and turns stay whole when the turns they continue are re-stored or
// deleted.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DEFAULT_POLICY, ResponsesStore, isAllowed, parsePolicy, type AccessRule, type Action, type User } from "../../src/index.js";
import type { InputItem } from "../../src/schemas/input-item.js";
import { dialectFor } from "../../src/db/providers.js";
import { PROVIDERS } from "../support/databases.js";
import { byteCompare, listAllIds, makeResponse, silentLogger, storeFactory, userMessage } from "../support/fixtures.js";

const ATTRIBUTES = ["roles", "teams"] as const;
const VALUES = ["a", "b", "x"] as const;
const PRINCIPALS = ["alice", "bob", "carol"] as const;

const attributesArb = fc.option(fc.record({ roles: fc.subarray([...VALUES]), teams: fc.subarray([...VALUES]) }, { requiredKeys: [] }), {
  nil: null,
});
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
      "sql_record::conversations::r1",
      "sql_record::conversations::r*",
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

/**
 * Rows: id, created_at (ties on purpose), owner index (-1 = stored without a user), and the
 * earlier row (by position, modulo) it continues, if any.
 */
const rowsArb = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom("r0", "r1", "r2", "r10", "r11", "q1", "q2", "R1"),
    createdAt: fc.integer({ min: 1, max: 2 }),
    owner: fc.integer({ min: -1, max: 2 }),
    continues: fc.option(fc.nat(), { nil: undefined }),
  }),
  { selector: (r) => r.id, minLength: 1, maxLength: 6 },
);

/** What each row was given: a conversation turn continuing the row it names (if earlier). */
function turnsOf(rows: readonly { id: string; createdAt: number; continues?: number | undefined }[]) {
  const given = new Map<
    string,
    { response: ReturnType<typeof makeResponse>; input: InputItem[]; messages: { role: "user" | "assistant"; content: string }[] }
  >();
  rows.forEach((r, i) => {
    const parent = r.continues !== undefined && i > 0 ? rows[r.continues % i]! : undefined;
    const before = parent ? given.get(parent.id)! : undefined;
    const response = makeResponse({
      id: r.id,
      created_at: r.createdAt,
      previous_response_id: parent?.id ?? null,
      output: [
        {
          type: "message",
          id: `${r.id}_out`,
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: `secret answer of ${r.id}`, annotations: [] }],
        },
      ],
    });
    const input = [
      ...(before ? [...before.input, ...(before.response.output as InputItem[])] : []),
      userMessage(`${r.id}_in`, `secret question of ${r.id}`),
    ];
    const messages = [
      ...(before ? [...before.messages, { role: "assistant" as const, content: `secret answer of ${parent!.id}` }] : []),
      { role: "user" as const, content: `secret question of ${r.id}` },
    ];
    given.set(r.id, { response, input, messages });
  });
  return given;
}

/** Everyone may do everything: the seeder links turns across owners. */
const OPEN: AccessRule[] = [{ permit: { actions: ["create", "read", "update", "delete"] } }];

describe.each(PROVIDERS)("the policy in SQL matches the policy in TypeScript on $label", (provider) => {
  const stores = storeFactory(provider);

  test("list, get, re-store and delete allow exactly what the rules allow", { timeout: 240_000 }, async () => {
    const url = await stores.url();
    const seeder = await stores.open({ queue: { enabled: false }, policy: OPEN });
    const runs = provider.name === "sqlite" ? 200 : 60;
    await fc.assert(
      fc.asyncProperty(usersArb, rowsArb, policyArb, fc.integer({ min: 1, max: 3 }), fc.nat(), async (users, rows, rules, limit, pick) => {
        const conn = await dialectFor(provider.name).openRawConnection(url);
        await conn.exec("DELETE FROM openai_responses");
        for (const table of ["conversation_messages", "conversations", "conversation_items", "conversation_operations"]) {
          await conn.exec(`DELETE FROM ${table}`);
        }
        await conn.close();
        const ownerOf = (i: number) => (i < 0 ? null : users[i]!);
        const given = turnsOf(rows);
        for (const r of rows) {
          const turn = given.get(r.id)!;
          await seeder.storeResponseObject(turn.response, turn.input, turn.messages, { user: ownerOf(r.owner) });
          await seeder.storeConversationMessages(r.id, [{ role: "user", content: r.id }], { user: ownerOf(r.owner) });
          await seeder.conversations.create({ id: r.id, items: [{ role: "user", content: `item of ${r.id}` }], user: ownerOf(r.owner) });
        }
        /** Each visible row reads back exactly as given (get, paged input items); hidden ones are not found. */
        const readsExactly = async (user: User | null, visible: (r: (typeof rows)[number]) => boolean, gone = new Set<string>()) => {
          for (const r of rows) {
            const turn = given.get(r.id)!;
            const got = await store
              .getResponseObject(r.id, { user })
              .catch((e: { code?: string }) => (e.code === "RESPONSE_NOT_FOUND" ? undefined : Promise.reject(e)));
            const items = await store
              .listResponseInputItems(r.id, { user, limit, order: "asc" })
              .catch((e: { code?: string }) => (e.code === "RESPONSE_NOT_FOUND" ? undefined : Promise.reject(e)));
            if (gone.has(r.id) || !visible(r)) {
              expect(got, `get ${r.id} as ${user?.principal ?? "nobody"}`).toBeUndefined();
              expect(items).toBeUndefined();
              continue;
            }
            expect(got, `get ${r.id} as ${user?.principal ?? "nobody"}`).toEqual({
              ...turn.response,
              input: turn.input,
              messages: turn.messages,
            });
            expect(items!.data.map((item) => item.id)).toEqual(turn.input.slice(0, limit).map((item) => (item as { id?: string }).id));
          }
        };

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
          const mayApi = (action: Action, r: (typeof rows)[number], user: User | null) =>
            isAllowed(policy, action, { ...view(r), type: "conversations" }, user);
          const found = <T>(call: Promise<T>) =>
            call.then(
              () => true,
              (e: { code?: string }) => (e.code === "CONVERSATION_NOT_FOUND" ? false : Promise.reject(e)),
            );
          const order = [...rows].sort((a, b) => b.createdAt - a.createdAt || byteCompare(b.id, a.id));

          for (const user of [...users, null]) {
            const expected = order.filter((r) => may("read", r, user)).map((r) => r.id);
            expect(await listAllIds(store, { user, limit })).toEqual(expected);
            const listed = await store.listResponses({ user, limit: 100 });
            expect(listed.data.map((d) => d.input)).toEqual(expected.map((id) => given.get(id)!.input));
            await readsExactly(user, (r) => may("read", r, user));
            for (const r of rows) {
              const got = await store.getResponseObject(r.id, { user }).then(
                () => true,
                (e: { code?: string }) => (e.code === "RESPONSE_NOT_FOUND" ? false : Promise.reject(e)),
              );
              expect(got, `get ${r.id} as ${user?.principal ?? "nobody"}`).toBe(may("read", r, user));
              const conversation = await store.getConversationMessages(r.id, { user });
              expect(conversation !== null, `conversation ${r.id} as ${user?.principal ?? "nobody"}`).toBe(
                mayConversation("read", r, user),
              );
              // The Conversations API: the conversation, its items and an item follow the same rules.
              const who = `${r.id} as ${user?.principal ?? "nobody"}`;
              const readable = mayApi("read", r, user);
              expect(await found(store.conversations.retrieve(r.id, { user })), `retrieve ${who}`).toBe(readable);
              const page = await store.conversations.items.list(r.id, { user }).catch(() => undefined);
              expect(page?.data.length, `items of ${who}`).toBe(readable ? 1 : undefined);
              const writable = readable && mayApi("update", r, user);
              expect(await found(store.conversations.update(r.id, { metadata: { by: "x" }, user })), `update ${who}`).toBe(writable);
            }
          }

          // One caller re-stores one row, then tries to delete every row.
          const user = [...users, null][pick % 4]!;
          const target = rows[pick % rows.length]!;
          const restore = await store
            .storeResponseObject(
              makeResponse({ id: target.id, created_at: target.createdAt, instructions: "restored", output: [] }),
              [],
              [],
              {
                user,
              },
            )
            .then(
              () => "ok",
              (e: { code?: string }) => e.code,
            );
          // The id is stored, so re-storing it needs `update` only (create or not).
          expect(restore).toBe(may("update", target, user) ? "ok" : "RESPONSE_ID_CONFLICT");
          if (restore === "ok")
            given.set(target.id, {
              response: makeResponse({ id: target.id, created_at: target.createdAt, instructions: "restored", output: [] }),
              input: [],
              messages: [],
            });
          const stored = await seeder.listResponses({ limit: 100, user: ownerOf(target.owner) });
          const after = stored.data.find((d) => d.id === target.id);
          // Ownership unchanged: its owner still sees it (marked by instructions: a completed response stays completed).
          if (after) expect((after as { instructions?: unknown }).instructions ?? null).toBe(restore === "ok" ? "restored" : null);

          const gone = new Set<string>();
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
            expect(deletedConversation, `delete conversation ${r.id}`).toBe(
              mayConversation("read", r, user) && mayConversation("delete", r, user),
            );
            if (deleted) gone.add(r.id);
            const deletedApi = await found(store.conversations.delete(r.id, { user }));
            expect(deletedApi, `delete conversations ${r.id}`).toBe(mayApi("read", r, user) && mayApi("delete", r, user));
          }
          // Turns whose ancestors were re-stored or deleted still read back whole; deleted ones are gone for everyone.
          for (const reader of [...users, null]) await readsExactly(reader, (r) => may("read", r, reader), gone);
        } finally {
          await store.shutdown();
        }
      }),
      { numRuns: runs },
    );
  });
});
