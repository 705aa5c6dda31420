// A property, on every provider (through the write queue where it is on): any sequence of
// stores, lifecycle updates and deletes over a few ids, made one after another without waiting,
// ends exactly as the same calls applied one by one in call order would: each call succeeds or
// fails as in that sequence (an update or a delete of an id not stored is not found), and every
// id ends with the status and input of its last successful write, or gone after a delete.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { dialectFor } from "../../src/db/providers.js";
import { PROVIDERS } from "../support/databases.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

type Call = { kind: "store" | "update" | "delete"; id: number; input: boolean };

const callsArb = fc.array(
  fc.record({
    kind: fc.constantFrom("store" as const, "update" as const, "delete" as const),
    id: fc.integer({ min: 0, max: 3 }),
    input: fc.boolean(),
  }),
  { minLength: 1, maxLength: 40 },
);

describe.each(PROVIDERS)("write order on $label", (provider) => {
  const stores = storeFactory(provider);

  test("stores, updates and deletes made without waiting end as in call order", { timeout: 240_000 }, async () => {
    const url = await stores.url();
    const store = await stores.open({ queue: { concurrency: 3, batchSize: 4 } });
    const user = { principal: "alice" };
    await fc.assert(
      fc.asyncProperty(callsArb, async (calls: Call[]) => {
        const conn = await dialectFor(provider.name).openRawConnection(url);
        await conn.exec("DELETE FROM openai_responses");
        await conn.close();

        // The model: the calls applied one by one.
        const model = new Map<string, { status: string; input: string }>();
        const expected = calls.map((c, i) => {
          const id = `resp_${c.id}`;
          const input = c.input ? `in_${i}` : undefined;
          if (c.kind === "store") {
            model.set(id, { status: `s${i}`, input: input ?? "none" });
            return "ok";
          }
          const stored = model.get(id);
          if (!stored) return "RESPONSE_NOT_FOUND";
          if (c.kind === "delete") {
            model.delete(id);
            return "ok";
          }
          model.set(id, { status: `s${i}`, input: input ?? stored.input });
          return "ok";
        });

        const made = calls.map((c, i) => {
          const response = makeResponse({ id: `resp_${c.id}`, status: `s${i}` });
          const input = c.input ? [userMessage(`in_${i}`)] : undefined;
          if (c.kind === "delete") return store.deleteResponseObject(response.id, { user });
          return c.kind === "store"
            ? store.storeResponseObject(response, input ?? [userMessage("none")], [], { user })
            : store.updateResponseObject(response, { user, ...(input ? { input } : {}) });
        });
        const outcomes = await Promise.allSettled(made);
        expect(outcomes.map((o) => (o.status === "fulfilled" ? "ok" : (o.reason as { code?: string }).code))).toEqual(expected);
        for (const [id, want] of model) {
          const got = await store.getResponseObject(id, { user });
          expect({ status: got.status, input: got.input[0]?.id }).toEqual(want);
        }
        for (const id of new Set(calls.map((c) => `resp_${c.id}`))) {
          if (!model.has(id)) await expect(store.getResponseObject(id, { user })).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
        }
      }),
      { numRuns: provider.name === "sqlite" ? 100 : 40 },
    );
  });
});
