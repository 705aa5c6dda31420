// Injection attempts through every caller-controlled string that reaches SQL: principals,
// attribute values, ids, cursors, models. Keys only come from validated policies. All values
// are bound parameters, and attribute matching is exact JSON containment (no LIKE wildcards).
import { describe, expect, test } from "vitest";
import { PolicyError, ResponsesStore, type AccessRule } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { listAllIds, makeResponse, storeFactory } from "../support/fixtures.js";

const NASTY = [
  "' OR '1'='1",
  "'); DROP TABLE openai_responses; --",
  '" OR ""="',
  "%",
  "_",
  "a%",
  "\\",
  "\\'",
  "$1",
  "?",
  "]",
  '["x"]',
  "$.roles",
  "null",
  "ñ😀",
];

const TEAM_SHARING: AccessRule[] = [
  { permit: { actions: ["create", "read", "update", "delete"] }, when: "user is owner" },
  { permit: { actions: ["read"] }, when: "user in owners teams" },
];

describe.each(PROVIDERS)("injection attempts on $label", (provider) => {
  const stores = storeFactory(provider);

  test("hostile principals and attribute values match only themselves", async () => {
    const store = await stores.open({ policy: TEAM_SHARING });
    for (const [i, value] of NASTY.entries()) {
      await store.storeResponseObject(makeResponse({ id: `resp_${i}`, created_at: i }), [], [], {
        user: { principal: value, attributes: { teams: [value] } },
      });
    }
    for (const [i, value] of NASTY.entries()) {
      // The owner sees its row, and so does a teammate with exactly that team value: nothing else.
      expect(await listAllIds(store, { user: { principal: value } })).toEqual([`resp_${i}`]);
      expect(await listAllIds(store, { user: { principal: "someone", attributes: { teams: [value] } } })).toEqual([`resp_${i}`]);
    }
    expect(await listAllIds(store, { user: { principal: "x", attributes: { teams: ["%", "_"] } } })).toEqual(["resp_4", "resp_3"]);
    expect(await listAllIds(store, { user: { principal: "' OR 1=1 --", attributes: { teams: ["' OR 1=1 --"] } } })).toEqual([]);
    expect(await listAllIds(store)).toEqual([]); // nobody owns nothing here: no unowned rows
    const owner = { principal: NASTY[1]! };
    expect((await store.getResponseObject("resp_1", { user: owner })).id).toBe("resp_1");
  });

  test("hostile ids, cursors and models are plain values", async () => {
    const store = await stores.open();
    for (const [i, value] of NASTY.entries())
      await store.storeResponseObject(makeResponse({ id: `id ${value}`, model: value, created_at: i }), []);
    for (const value of NASTY) {
      expect((await store.getResponseObject(`id ${value}`)).model).toBe(value);
      expect((await store.listResponses({ model: value })).data.map((r) => r.id)).toEqual([`id ${value}`]);
    }
    const all = await listAllIds(store, { limit: 2 });
    expect(all).toHaveLength(NASTY.length);
    await expect(store.listResponses({ after: "' OR '1'='1" })).rejects.toThrow(
      "Record with id='' OR '1'='1' not found in table 'openai_responses'",
    );
    expect(await store.deleteResponseObject(`id ${NASTY[1]}`)).toMatchObject({ deleted: true });
    expect(await listAllIds(store)).toHaveLength(NASTY.length - 1);
  });

  test("attribute keys in rules must be identifiers, so no key ever reaches a JSON path unchecked", () => {
    for (const key of ["teams')", "a.b", "$", "te ams", '"x"', "a[0]"]) {
      expect(
        () => new ResponsesStore({ url: "file:./never.db", policy: [{ permit: { actions: ["read"] }, when: `user in owners ${key}` }] }),
      ).toThrow(PolicyError);
    }
  });
});
