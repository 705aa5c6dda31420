// Pages are bounded in bytes as well as in items (`pageBytes`): a page of responses or of input
// items ends after the item that reaches the budget (at least one item), and has_more with
// last_id continue exactly, so paging through still yields every item once, in order. Over a
// conversation stored as a chain, each listed item still carries its whole input.
import { expect, test } from "vitest";
import type { InputItem, ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

const alice = { principal: "alice" };
const BUDGET = 6_000;

/** An input item of about `bytes` bytes of JSON. */
const sized = (id: string, bytes: number): InputItem => userMessage(id, "x".repeat(bytes));

async function pageThrough(store: ResponsesStore, params: { includeInput?: boolean; order?: "asc" | "desc" }) {
  const pages: { ids: string[]; bytes: number; lastBytes: number }[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listResponses({ user: alice, limit: 100, ...params, ...(after ? { after } : {}) });
    const sizes = page.data.map((r) => Buffer.byteLength(JSON.stringify(r)));
    pages.push({ ids: page.data.map((r) => r.id), bytes: sizes.reduce((a, b) => a + b, 0), lastBytes: sizes.at(-1) ?? 0 });
    if (!page.has_more) return pages;
    expect(page.last_id).toBe(page.data.at(-1)?.id);
    after = page.last_id!;
  }
}

describeProviders(PROVIDERS, "pages bounded in bytes on $label", (provider) => {
  const stores = storeFactory(provider);

  test("a list page ends after the item that reaches the budget; paging yields every response once, in order", async () => {
    const store = await stores.open({ pageBytes: BUDGET });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `resp_${String(i).padStart(2, "0")}`;
      ids.push(id);
      // Sizes vary: some responses alone are over the budget.
      await store.storeResponseObject(
        makeResponse({ id, created_at: 1_700_000_000 + i }),
        [sized(`m${i}`, i % 7 === 3 ? 9_000 : 900)],
        [],
        { user: alice },
      );
    }
    const heavy = await pageThrough(store, { order: "desc" });
    for (const order of ["asc", "desc"] as const) {
      const pages = await pageThrough(store, { order });
      expect(pages.flatMap((p) => p.ids)).toEqual(order === "asc" ? ids : [...ids].reverse());
      expect(pages.length).toBeGreaterThan(2);
      // Within the budget, but for the item that reached it.
      for (const p of pages) expect(p.bytes - p.lastBytes).toBeLessThan(BUDGET);
    }
    // History views weigh what they send: without input, pages hold more.
    const light = await pageThrough(store, { includeInput: false });
    expect(light.flatMap((p) => p.ids)).toEqual([...ids].reverse());
    expect(light.length).toBeLessThan(heavy.length);
  });

  test("a response larger than the budget is a page of its own", async () => {
    const store = await stores.open({ pageBytes: 1_000 });
    await store.storeResponseObject(makeResponse({ id: "resp_big", created_at: 2 }), [sized("m_big", 50_000)], [], { user: alice });
    await store.storeResponseObject(makeResponse({ id: "resp_small", created_at: 1 }), [], [], { user: alice });
    const first = await store.listResponses({ user: alice });
    expect(first).toMatchObject({ has_more: true, last_id: "resp_big" });
    expect(first.data).toHaveLength(1);
    expect(first.data[0]!.input).toHaveLength(1);
    const second = await store.listResponses({ user: alice, after: first.last_id });
    expect(second.data.map((r) => r.id)).toEqual(["resp_small"]);
    expect(second.has_more).toBe(false);
  });

  test("over a conversation stored as a chain, each listed turn carries its whole input, page after page", async () => {
    const store = await stores.open({ pageBytes: BUDGET });
    let input: InputItem[] = [];
    let previous: string | undefined;
    const wholeInput = new Map<string, InputItem[]>();
    for (let t = 0; t < 12; t++) {
      const id = `resp_t${String(t).padStart(2, "0")}`;
      const response = makeResponse({ id, created_at: 1_700_000_000 + t, ...(previous ? { previous_response_id: previous } : {}) });
      input = [...input, sized(`q${t}`, 400)];
      await store.storeResponseObject(response, input, [], { user: alice });
      wholeInput.set(id, input);
      input = [...input, ...(response.output as InputItem[])];
      previous = id;
    }
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.listResponses({ user: alice, order: "asc", ...(after ? { after } : {}) });
      for (const item of page.data) {
        seen.push(item.id);
        expect(JSON.stringify(item.input)).toBe(JSON.stringify(wholeInput.get(item.id)));
      }
      if (!page.has_more) break;
      after = page.last_id!;
    }
    expect(seen).toEqual([...wholeInput.keys()]);
  });

  test("an input-items page ends after the item that reaches the budget; after = last_id continues exactly", async () => {
    const store = await stores.open({ pageBytes: BUDGET });
    const items = Array.from({ length: 30 }, (_, i) => sized(`item_${i}`, i % 5 === 0 ? 7_000 : 500));
    await store.storeResponseObject(makeResponse({ id: "resp_items" }), items, [], { user: alice });
    for (const order of ["asc", "desc"] as const) {
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await store.listResponseInputItems("resp_items", { user: alice, order, limit: 100, ...(after ? { after } : {}) });
        pages++;
        const sizes = page.data.map((i) => Buffer.byteLength(JSON.stringify(i)));
        expect(sizes.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThan(BUDGET);
        seen.push(...page.data.map((i) => i.id));
        if (!page.has_more) break;
        expect(page.last_id).toBe(page.data.at(-1)?.id);
        after = page.last_id!;
      }
      expect(pages).toBeGreaterThan(2);
      expect(seen).toEqual((order === "asc" ? items : [...items].reverse()).map((i) => i.id));
    }
  });
});
