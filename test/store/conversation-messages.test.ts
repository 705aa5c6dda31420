// A conversation's chat messages by conversation id (llama-stack's conversation_messages), on
// every provider: stored and replaced whole, read back deep-equal, isolated per owner under the
// same policy as responses, validated like every other input, deleted and pruned per owner.
import { describe, expect, test } from "vitest";
import {
  AccessDeniedError,
  ConversationIdConflictError,
  ConversationNotFoundError,
  ValidationError,
  type AccessRule,
  type ChatCompletionMessage,
} from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, makeResponse, storeFactory } from "../support/fixtures.js";

const turn = (n: number): ChatCompletionMessage[] => [
  { role: "system", content: "You are terse." },
  { role: "user", content: `question ${n} \u0000 ☃ 😀` },
  { role: "assistant", content: null, tool_calls: [{ id: `call_${n}`, type: "function", function: { name: "f", arguments: "{}" } }] },
  { role: "tool", tool_call_id: `call_${n}`, content: "42" },
];

describe.each(PROVIDERS)("conversation messages on $label", (provider) => {
  const stores = storeFactory(provider);

  test("stored, replaced whole and read back deep-equal; unknown conversations are null", async () => {
    const store = await stores.open();
    expect(await store.getConversationMessages("conv_1", { user: alice })).toBeNull();
    await store.storeConversationMessages("conv_1", turn(1), { user: alice });
    expect(await store.getConversationMessages("conv_1", { user: alice })).toEqual(turn(1));
    await store.storeConversationMessages("conv_1", [...turn(1), ...turn(2)], { user: alice });
    expect(await store.getConversationMessages("conv_1", { user: alice })).toEqual([...turn(1), ...turn(2)]);
    // The same id as a response is a different record.
    await store.storeResponseObject(makeResponse({ id: "conv_1" }), [], [], { user: alice });
    expect(await store.getConversationMessages("conv_1", { user: alice })).toHaveLength(8);
  });

  test("isolated per owner: others see null and cannot overwrite; unowned ones are everyone's", async () => {
    const store = await stores.open();
    await store.storeConversationMessages("conv_alice", turn(1), { user: alice });
    await store.storeConversationMessages("conv_public", turn(2));
    expect(await store.getConversationMessages("conv_alice", { user: bob })).toBeNull();
    expect(await store.getConversationMessages("conv_alice")).toBeNull();
    await expect(store.storeConversationMessages("conv_alice", turn(9), { user: bob })).rejects.toBeInstanceOf(ConversationIdConflictError);
    expect(await store.getConversationMessages("conv_alice", { user: alice })).toEqual(turn(1));
    expect(await store.getConversationMessages("conv_public", { user: bob })).toEqual(turn(2));
    await store.storeConversationMessages("conv_public", turn(3), { user: bob }); // an unowned row stays unowned
    expect(await store.getConversationMessages("conv_public")).toEqual(turn(3));
  });

  test("invalid ids and messages are ValidationErrors and write nothing", async () => {
    const store = await stores.open();
    await expect(store.storeConversationMessages("", turn(1))).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      argument: "conversation_id",
    });
    await expect(store.storeConversationMessages("conv_ ", turn(1))).rejects.toBeInstanceOf(ValidationError);
    await expect(store.storeConversationMessages("conv_1", [{ role: "tool", content: "x" } as never])).rejects.toMatchObject({
      argument: "messages",
    });
    await expect(store.storeConversationMessages("conv_1", [{ role: "user", content: "\ud800" }])).rejects.toBeInstanceOf(ValidationError);
    expect(await store.getConversationMessages("conv_1")).toBeNull();
  });

  test("delete: the owner's call deletes; others and unknown ids are not found", async () => {
    const store = await stores.open();
    await store.storeConversationMessages("conv_1", turn(1), { user: alice });
    await expect(store.deleteConversationMessages("conv_1", { user: bob })).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect(await store.deleteConversationMessages("conv_1", { user: alice })).toEqual({ id: "conv_1", deleted: true });
    expect(await store.getConversationMessages("conv_1", { user: alice })).toBeNull();
    await expect(store.deleteConversationMessages("conv_1", { user: alice })).rejects.toBeInstanceOf(ConversationNotFoundError);
  });

  test("prune: by age, per owner, per caller or everyone's", async () => {
    const store = await stores.open();
    for (const i of [1, 2, 3]) await store.storeConversationMessages(`conv_a${i}`, turn(i), { user: alice });
    for (const i of [1, 2]) await store.storeConversationMessages(`conv_b${i}`, turn(i), { user: bob });
    await store.storeConversationMessages("conv_public", turn(0));
    const later = new Date(Date.now() + 10_000);
    expect(await store.pruneConversationMessages({ olderThan: new Date(Date.now() - 3_600_000), allOwners: true })).toEqual({ deleted: 0 });
    expect(await store.pruneConversationMessages({ olderThan: later, owner: "alice", batchSize: 2 })).toEqual({ deleted: 3 });
    expect(await store.getConversationMessages("conv_b1", { user: bob })).toEqual(turn(1));
    expect(await store.pruneConversationMessages({ olderThan: later, user: bob })).toEqual({ deleted: 3 }); // bob's and the unowned one
    expect(await store.pruneConversationMessages({ olderThan: later, allOwners: true })).toEqual({ deleted: 0 });
  });

  test("resource rules name conversations as sql_record::conversation_messages::<id>", async () => {
    const policy: AccessRule[] = [
      { forbid: { actions: ["delete"], resource: "sql_record::conversation_messages::conv_pinned*" } },
      { forbid: { actions: ["create"], resource: "sql_record::openai_responses::*" } }, // responses only
      { permit: { actions: ["create", "read", "update", "delete"] }, when: "user is owner" },
    ];
    const store = await stores.open({ policy });
    await store.storeConversationMessages("conv_pinned_1", turn(1), { user: alice });
    await store.storeConversationMessages("conv_free", turn(2), { user: alice });
    await expect(store.deleteConversationMessages("conv_pinned_1", { user: alice })).rejects.toBeInstanceOf(ConversationNotFoundError);
    await store.deleteConversationMessages("conv_free", { user: alice });
    await expect(store.storeResponseObject(makeResponse({ id: "resp_1" }), [], [], { user: alice })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    const noCreate = await stores.open({ policy: [{ permit: { actions: ["read", "update"] }, when: "user is owner" }] });
    await expect(noCreate.storeConversationMessages("conv_new", turn(1), { user: alice })).rejects.toMatchObject({
      code: "ACCESS_DENIED",
      action: "create",
    });
    await noCreate.storeConversationMessages("conv_pinned_1", turn(5), { user: alice }); // replacing needs update only
    expect(await store.getConversationMessages("conv_pinned_1", { user: alice })).toEqual(turn(5));
  });
});
