// Linear storage: a conversation continued with previous_response_id keeps each turn's new
// items once, and every read still returns exactly what each turn was given: get, input-item
// pages in both orders with cursors, lists. Forks, deletes in the middle, edited history,
// other owners, queued parents, lifecycle updates of parents, compaction and broken chains.
import { describe, expect, test } from "vitest";
import { StorageError, type AccessRule, type ResponsesStore, type User } from "../../src/index.js";
import { pageInputItems } from "../../src/repository/input-items.js";
import type { InputItem } from "../../src/schemas/input-item.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, chainTurns, makeResponse, storeFactory, userMessage, type Turn } from "../support/fixtures.js";
import { execSql, insertLegacyRows, storedRow } from "../support/raw-rows.js";

type Item = InputItem & Record<string, unknown>;

/** Every item id of a response's input, paging with `after` = last_id in `order`. */
async function pageThrough(
  store: ResponsesStore,
  id: string,
  order: "asc" | "desc",
  limit: number,
  user: User = alice,
): Promise<(string | null | undefined)[]> {
  const seen: (string | null | undefined)[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listResponseInputItems(id, { order, limit, after, user });
    seen.push(...page.data.map((i) => i.id));
    if (!page.has_more) return seen;
    after = page.last_id!;
  }
}

async function storeTurns(store: ResponsesStore, turns: readonly Turn[], user: User | null = alice): Promise<void> {
  for (const t of turns) await store.storeResponseObject(t.response, t.input, t.messages, { user });
}

describe.each(PROVIDERS)("linear storage on $label", (provider) => {
  const stores = storeFactory(provider);

  test("a conversation of 240 turns reads back deep-equal at every turn, storing each item once", async () => {
    const store = await stores.open();
    const reader = await stores.open(); // remembers nothing: rebuilds every turn from its rows
    const turns = chainTurns("resp_", 240);
    for (const [i, t] of turns.entries()) {
      await store.storeResponseObject(t.response, t.input, t.messages, { user: alice });
      expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
      expect(await reader.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
      // The writer answers from the turn it remembers; the reader from the rows.
      for (const from of [store, reader]) {
        const newest = await from.listResponseInputItems(t.response.id, { limit: 7, user: alice });
        expect(newest).toEqual(pageInputItems(t.input as Item[], { order: "desc", limit: 7, include: [] }, t.response.id));
        expect(newest.has_more).toBe(t.input.length > 7);
        if (i % 40 !== 39 && i >= 3) continue;
        const ids = t.input.map((item) => (item as Item).id);
        expect(await pageThrough(from, t.response.id, "desc", 20)).toEqual([...ids].reverse());
        expect(await pageThrough(from, t.response.id, "asc", 33)).toEqual(ids);
        const middle = ids[Math.floor(ids.length / 2)]!;
        for (const order of ["asc", "desc"] as const) {
          for (const cursor of [{ after: middle }, { before: middle }]) {
            const slice = { ...cursor, order, limit: 5, include: [] };
            expect(await from.listResponseInputItems(t.response.id, { ...cursor, order, limit: 5, user: alice })).toEqual(
              pageInputItems(t.input as Item[], slice, t.response.id),
            );
          }
        }
      }
    }
    const listed = await store.listResponses({ user: alice, limit: 50 });
    expect(listed.data.map((r) => r.input)).toEqual(
      turns
        .slice(-50)
        .reverse()
        .map((t) => t.input),
    );
    const bare = await store.listResponses({ user: alice, limit: 50, includeInput: false });
    expect(bare.data).toEqual(
      turns
        .slice(-50)
        .reverse()
        .map((t) => t.response),
    );
    const stats = await store.storageStats({ user: alice });
    expect(stats.rows).toBe(240);
    expect(stats.storedBytes * 20).toBeLessThan(stats.bytes); // each turn keeps its own items only
    expect((await storedRow(provider.name, await stores.url(), "resp_240"))!).toMatchObject({
      parentId: "resp_239",
      stored: { input: [turns[239]!.input.at(-1)] },
    });
  });

  test(
    "a conversation past 1,000 turns stays linked at every turn (past MySQL's and MariaDB's 1,000 rounds of recursion), and reads back whole on a store that remembers nothing",
    { timeout: 120_000 },
    async () => {
      const writer = await stores.open();
      const turns = chainTurns(
        "resp_",
        1300,
        1_000_000,
        (t) => `q${t}`,
        (t) => `a${t}`,
      );
      await storeTurns(writer, turns);
      const url = await stores.url();
      for (const t of [2, 999, 1000, 1001, 1002, 1300])
        expect((await storedRow(provider.name, url, `resp_${t}`))!.parentId, `resp_${t}`).toBe(`resp_${t - 1}`);
      expect((await storedRow(provider.name, url, "resp_1001"))!.stored.input).toEqual([turns[1000]!.input.at(-1)]); // its own item only
      const reader = await stores.open(); // walks the rows: nothing remembered
      for (const t of [turns[998]!, turns[999]!, turns[1000]!, turns[1299]!]) {
        expect(await reader.getResponseObject(t.response.id, { user: alice })).toEqual({
          ...t.response,
          input: t.input,
          messages: t.messages,
        });
        const first = await reader.listResponseInputItems(t.response.id, { user: alice, order: "asc", limit: 3 });
        expect(first.data.map((i) => i.id)).toEqual(["resp__in1", "resp__out1", "resp__in2"]);
        const newest = await reader.listResponseInputItems(t.response.id, { user: alice, order: "desc", limit: 3 });
        expect(newest.data.map((i) => i.id)).toEqual(
          t.input
            .slice(-3)
            .reverse()
            .map((i) => i.id),
        );
      }
    },
  );

  test("two turns continuing one parent each keep only their own items", async () => {
    const store = await stores.open();
    const [first] = chainTurns("resp_", 1);
    await storeTurns(store, [first!]);
    const base = [...first!.input, ...(first!.response.output as InputItem[])];
    const forks = ["a", "b"].map((name) => ({
      response: makeResponse({ id: `resp_fork_${name}`, previous_response_id: "resp_1" }),
      input: [...base, userMessage(`fork_${name}`)],
      messages: [...first!.messages, { role: "assistant" as const, content: "answer 1" }, { role: "user" as const, content: name }],
    }));
    await storeTurns(store, forks);
    const url = await stores.url();
    for (const fork of forks) {
      expect(await store.getResponseObject(fork.response.id, { user: alice })).toEqual({
        ...fork.response,
        input: fork.input,
        messages: fork.messages,
      });
      const row = (await storedRow(provider.name, url, fork.response.id))!;
      expect(row.parentId).toBe("resp_1");
      expect(row.stored.input).toEqual([fork.input.at(-1)]);
      expect(row.stored.messages).toEqual(fork.messages.slice(-2));
    }
  });

  test("a turn whose history differs from its parent's (edited, reordered, shortened) is stored whole and reads back as given", async () => {
    const store = await stores.open();
    const turns = chainTurns("resp_", 3);
    await storeTurns(store, turns.slice(0, 2));
    const edited = structuredClone(turns[2]!);
    (edited.input[0] as { content: { text: string }[] }).content[0]!.text = "edited question";
    const shorter = { ...structuredClone(turns[2]!), response: makeResponse({ id: "resp_short", previous_response_id: "resp_2" }) };
    shorter.input = shorter.input.slice(1);
    const reordered = { ...structuredClone(turns[2]!), response: makeResponse({ id: "resp_swapped", previous_response_id: "resp_2" }) };
    reordered.input = [reordered.input[1]!, reordered.input[0]!, ...reordered.input.slice(2)];
    await storeTurns(store, [edited, shorter, reordered]);
    for (const t of [edited, shorter, reordered]) {
      expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
      const row = await storedRow(provider.name, await stores.url(), t.response.id);
      expect(row!.stored.input).toEqual(t.input);
    }
    // A turn naming a parent that does not exist is stored whole too.
    const orphan = { ...turns[1]!, response: makeResponse({ id: "resp_orphan", previous_response_id: "resp_gone" }) };
    await storeTurns(store, [orphan]);
    expect((await store.getResponseObject("resp_orphan", { user: alice })).input).toEqual(orphan.input);
  });

  test("deleting turns in the middle leaves later turns whole; the deleted turn is gone for everyone; its space goes with the last turn that needs it", async () => {
    const store = await stores.open();
    const turns = chainTurns("resp_", 6);
    await storeTurns(store, turns);
    await store.deleteResponseObject("resp_3", { user: alice });
    await store.deleteResponseObject("resp_2", { user: alice });
    for (const call of [
      () => store.getResponseObject("resp_3", { user: alice }),
      () => store.listResponseInputItems("resp_3", { user: alice }),
      () => store.deleteResponseObject("resp_3", { user: alice }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
    }
    await expect(store.listResponses({ user: alice, after: "resp_3" })).rejects.toMatchObject({ code: "INVALID_PARAMETER" });
    expect((await store.listResponses({ user: alice })).data.map((r) => r.id)).toEqual(["resp_6", "resp_5", "resp_4", "resp_1"]);
    for (const t of turns.slice(3)) {
      expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
    }
    expect(await store.storageStats({ user: alice })).toMatchObject({ rows: 4, retained: 2 });
    // The same id stored again is a new turn, and the turns built on the old one stay whole.
    await store.storeResponseObject(makeResponse({ id: "resp_3" }), [userMessage("fresh")], [], { user: alice });
    expect((await store.getResponseObject("resp_3", { user: alice })).input).toEqual([userMessage("fresh")]);
    expect((await store.getResponseObject("resp_6", { user: alice })).input).toEqual(turns[5]!.input);
    await store.deleteResponseObject("resp_3", { user: alice });
    // Pruning everything but the newest turn keeps it whole; deleting it releases the rest.
    const pruned = await store.pruneResponses({ olderThan: turns[5]!.response.created_at, user: alice });
    expect(pruned.deleted).toBe(3); // resp_1, resp_4, resp_5
    expect(await store.getResponseObject("resp_6", { user: alice })).toEqual({
      ...turns[5]!.response,
      input: turns[5]!.input,
      messages: turns[5]!.messages,
    });
    expect(await store.storageStats({ user: alice })).toMatchObject({ rows: 1, retained: 2 }); // resp_4 and resp_5 (resp_2 went when resp_3 was replaced)
    await store.deleteResponseObject("resp_6", { user: alice });
    expect(await store.storageStats({ allOwners: true })).toMatchObject({ rows: 0, retained: 0, storedBytes: 0 });
  });

  test("a second owner's continuation: linked only where its writer may read the parent, whole for its reader whatever the first owner does", async () => {
    const teamA = { principal: "alice", attributes: { teams: ["t1"] } };
    const teamB = { principal: "bob", attributes: { teams: ["t1"] } };
    const sharing: AccessRule[] = [
      { permit: { actions: ["create", "read", "update", "delete"] }, when: "user is owner" },
      { permit: { actions: ["read"] }, when: "user in owners teams" },
    ];
    const shared = await stores.open({ policy: sharing });
    const turns = chainTurns("resp_", 4);
    await storeTurns(shared, turns.slice(0, 2), teamA);
    await storeTurns(shared, turns.slice(2), teamB); // bob continues alice's conversation
    expect((await storedRow(provider.name, await stores.url(), "resp_3"))!.parentId).toBe("resp_2");
    // Under the default policy bob cannot see alice's turns, yet his own read back whole.
    const isolated = await stores.open();
    await expect(isolated.getResponseObject("resp_2", { user: teamB })).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
    await expect(isolated.listResponseInputItems("resp_2", { user: teamB })).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
    expect((await isolated.listResponses({ user: teamB })).data.map((r) => [r.id, r.input])).toEqual([
      ["resp_4", turns[3]!.input],
      ["resp_3", turns[2]!.input],
    ]);
    // Alice deletes her turns: bob's stay whole.
    await isolated.deleteResponseObject("resp_1", { user: teamA });
    await isolated.deleteResponseObject("resp_2", { user: teamA });
    for (const t of turns.slice(2)) {
      expect(await isolated.getResponseObject(t.response.id, { user: teamB })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
      expect(await pageThrough(isolated, t.response.id, "asc", 2, teamB)).toEqual(t.input.map((i) => (i as Item).id));
    }
    await expect(shared.getResponseObject("resp_2", { user: teamB })).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
    // Where the writer may not read the parent, the turn is stored whole.
    const more = chainTurns("resp_x", 2);
    await storeTurns(isolated, more.slice(0, 1), alice);
    await storeTurns(isolated, more.slice(1), bob);
    expect(await storedRow(provider.name, await stores.url(), "resp_x2")).toMatchObject({
      parentId: null,
      stored: { input: more[1]!.input },
    });
  });

  test("turns stored while their parents are still queued read back whole", async () => {
    const store = await stores.open({ queue: { enabled: true, batchSize: 4, concurrency: 4 } });
    const turns = chainTurns("resp_", 30);
    const writes = turns.map((t) => store.storeResponseObject(t.response, t.input, t.messages, { user: alice }));
    for (const t of turns)
      expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
    await Promise.all(writes);
    for (const t of turns)
      expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
  });

  test("turns stored while another instance deletes, re-stores or updates their parents read back whole", async () => {
    const writer = await stores.open();
    const other = await stores.open();
    const rounds = 12;
    const children: Turn[] = [];
    for (let round = 0; round < rounds; round++) {
      const [parent, child] = chainTurns(`resp_${round}_`, 2);
      await storeTurns(writer, [parent!]);
      const forks = [0, 1, 2].map((k) => ({ ...child!, response: { ...child!.response, id: `${child!.response.id}_${k}` } }));
      const rival = [
        () => other.deleteResponseObject(parent!.response.id, { user: alice }),
        () => other.storeResponseObject({ ...parent!.response, instructions: "replaced" }, [userMessage("replaced")], [], { user: alice }),
        () => other.updateResponseObject({ ...parent!.response, output: [] }, { user: alice }),
      ][round % 3]!;
      await Promise.all([...forks.map((f) => storeTurns(writer, [f])), rival()]);
      children.push(...forks);
    }
    for (const t of children)
      expect(await writer.getResponseObject(t.response.id, { user: alice })).toEqual({
        ...t.response,
        input: t.input,
        messages: t.messages,
      });
  });

  test("updating or re-storing a turn later turns build on leaves them whole", async () => {
    const store = await stores.open();
    const turns = chainTurns("resp_", 4);
    await storeTurns(store, turns);
    await store.updateResponseObject({ ...turns[1]!.response, status: "completed", output: [] }, { user: alice });
    await store.storeResponseObject(makeResponse({ id: "resp_3" }), [userMessage("replaced")], [], { user: alice });
    expect(await store.getResponseObject("resp_2", { user: alice })).toMatchObject({
      output: [],
      input: turns[1]!.input,
      messages: turns[1]!.messages,
    });
    expect((await store.getResponseObject("resp_3", { user: alice })).input).toEqual([userMessage("replaced")]);
    expect(await store.getResponseObject("resp_4", { user: alice })).toEqual({
      ...turns[3]!.response,
      input: turns[3]!.input,
      messages: turns[3]!.messages,
    });
    // A lifecycle update of a continued turn keeps it continued.
    await store.updateResponseObject({ ...turns[3]!.response, instructions: "updated" }, { user: alice });
    expect(await store.getResponseObject("resp_4", { user: alice })).toEqual({
      ...turns[3]!.response,
      instructions: "updated",
      input: turns[3]!.input,
      messages: turns[3]!.messages,
    });
  });

  test("input-item pages are exact with repeated ids, items without ids and hidden compaction items across turns", async () => {
    const store = await stores.open();
    const dup = (id: string | null, text: string) => userMessage(id, text);
    const inputs: InputItem[][] = [];
    let input: InputItem[] = [];
    let previous: string | null = null;
    for (let t = 1; t <= 12; t++) {
      const fresh: InputItem[] = [dup(`msg_${t % 4}`, `t${t}`), dup(null, `anon ${t}`)];
      if (t % 5 === 0) fresh.push({ type: "compaction", id: `cmp_${t}`, encrypted_content: "x" });
      input = [...input, ...fresh];
      const response = makeResponse({
        id: `resp_${t}`,
        created_at: 1000 + t,
        previous_response_id: previous,
        output: [
          {
            type: "message",
            id: `msg_${t % 3}`,
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: `a${t}`, annotations: [] }],
          },
        ],
      });
      await store.storeResponseObject(response, input, [], { user: alice });
      inputs.push(input);
      input = [...input, ...(response.output as InputItem[])];
      previous = response.id;
    }
    for (const [i, whole] of inputs.entries()) {
      const id = `resp_${i + 1}`;
      for (const order of ["asc", "desc"] as const) {
        for (const cursor of [{}, { after: "msg_1" }, { before: "msg_1" }, { after: "msg_2" }, { before: "msg_0" }]) {
          for (const limit of [1, 3, 20]) {
            const expected = (() => {
              try {
                return pageInputItems(whole, { ...cursor, order, limit, include: [] }, id);
              } catch (error) {
                return error;
              }
            })();
            const got = await store.listResponseInputItems(id, { ...cursor, order, limit, user: alice }).catch((e: unknown) => e);
            expect(got, `${id} ${order} ${JSON.stringify(cursor)} ${limit}`).toEqual(expected);
          }
        }
      }
    }
  });

  test("compactResponses rewrites an earlier release's rows in batches, resumable after an interruption, idempotent, reads unchanged", async () => {
    const url = await stores.url();
    const store = await stores.open();
    const conversations = ["a", "b", "c"].map((name, i) => chainTurns(`resp_${name}`, 8, 1000 + i * 100));
    await insertLegacyRows(
      provider.name,
      url,
      conversations.flat().map((t) => ({ ...t, user: alice })),
    );
    const readAll = async () => {
      for (const t of conversations.flat()) {
        expect(await store.getResponseObject(t.response.id, { user: alice })).toEqual({
          ...t.response,
          input: t.input,
          messages: t.messages,
        });
      }
      expect((await store.listResponses({ user: alice, limit: 100 })).data.map((r) => r.input)).toEqual(
        conversations
          .flat()
          .reverse()
          .map((t) => t.input),
      );
    };
    await readAll();
    const before = await store.storageStats({ allOwners: true });
    const heard: [number, number][] = [];
    const interrupted = await store
      .compactResponses({
        batchSize: 5,
        onProgress: (done, total) => {
          heard.push([done, total]);
          if (done >= 10) throw new Error("operator pressed ctrl-c");
        },
      })
      .catch((e: unknown) => e);
    expect(interrupted).toMatchObject({ message: "operator pressed ctrl-c" });
    expect(heard).toEqual([
      [5, 24],
      [10, 24],
    ]);
    await readAll();
    const resumed = await store.compactResponses({ batchSize: 5 });
    expect(resumed).toEqual({ compacted: 14, linked: 14 - 1 }); // resp_c1 starts a conversation
    await readAll();
    expect(await store.compactResponses()).toEqual({ compacted: 0, linked: 0 });
    const after = await store.storageStats({ allOwners: true });
    expect(after.rows).toBe(before.rows);
    expect(after.storedBytes * 2).toBeLessThan(before.storedBytes);
    expect((await storedRow(provider.name, url, "resp_b8"))!.parentId).toBe("resp_b7");
  });

  test("a chain broken by hand (a cycle, a missing link) fails with a clear storage error", async () => {
    const url = await stores.url();
    const writer = await stores.open();
    await storeTurns(writer, chainTurns("resp_", 3));
    const store = await stores.open(); // remembers no turn: it rebuilds from the rows
    await execSql(provider.name, url, "UPDATE openai_responses SET parent_id = 'resp_3', input_start = 1 WHERE id = 'resp_1'");
    const cycle = await store.getResponseObject("resp_3", { user: alice }).catch((e: unknown) => e);
    expect(cycle).toBeInstanceOf(StorageError);
    expect(String((cycle as StorageError).message)).toMatch(/stored history of response resp_3 cannot be rebuilt/);
    await execSql(provider.name, url, "UPDATE openai_responses SET parent_id = 'resp_nowhere' WHERE id = 'resp_2'");
    await expect(store.getResponseObject("resp_3", { user: alice })).rejects.toThrow(/ancestor resp_nowhere is missing/);
  });
});
