// The generated Prisma client (what Prisma Studio and hosts' own code use) and the migrated
// table agree, on every provider: the client reads what the store wrote, and the store reads
// what the client wrote. On MySQL, where Prisma's wasm engine cannot diff, this is the check
// that the hand-written migration matches the schema.
import { describe, expect, test } from "vitest";
import { generatedClient } from "../support/generated-client.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

describe.each(PROVIDERS)("generated Prisma client on $label", (provider) => {
  const stores = storeFactory(provider);

  test("reads what the store wrote, and the store reads what the client wrote", async () => {
    const store = await stores.open();
    const response = makeResponse({ id: "resp_store", created_at: 4_102_444_800 }); // 2100-01-01: past 2038
    await store.storeResponseObject(response, [userMessage("m1", "NUL\u0000é😀")], [{ role: "user", content: "hi" }], { user: alice });

    const prisma = await generatedClient(provider.name, await stores.url());
    try {
      const row = await prisma.openAIResponse.findUniqueOrThrow({ where: { id: "resp_store" } });
      expect(row).toMatchObject({ id: "resp_store", createdAt: 4_102_444_800n, model: "gpt-4o", ownerPrincipal: "alice" });
      expect(row.accessAttributes).toEqual(alice.attributes);
      expect(row.responseObject).toEqual({
        ...response,
        input: [userMessage("m1", "NUL\u0000é😀")],
        messages: [{ role: "user", content: "hi" }],
      });

      const written = makeResponse({ id: "resp_client", created_at: 1 });
      await prisma.openAIResponse.create({
        data: { id: "resp_client", createdAt: 1n, model: "gpt-4o", responseObject: { ...written, input: [], messages: [] } as never },
      });
      expect(await store.getResponseObject("resp_client")).toEqual({ ...written, input: [], messages: [] });
      expect((await store.listResponses({ user: alice })).data.map((r) => r.id)).toEqual(["resp_store", "resp_client"]);

      await store.storeConversationMessages("conv_store", [{ role: "user", content: "NUL\u0000é😀" }], { user: alice });
      const conversation = await prisma.conversationMessages.findUniqueOrThrow({ where: { conversationId: "conv_store" } });
      expect(conversation).toMatchObject({
        conversationId: "conv_store",
        ownerPrincipal: "alice",
        messages: [{ role: "user", content: "NUL\u0000é😀" }],
      });
      expect(conversation.updatedAt).toBe(conversation.createdAt);
      await prisma.conversationMessages.create({
        data: { conversationId: "conv_client", messages: [{ role: "user", content: "hi" }], createdAt: 1n, updatedAt: 1n },
      });
      expect(await store.getConversationMessages("conv_client")).toEqual([{ role: "user", content: "hi" }]);
    } finally {
      await prisma.$disconnect();
    }
  });
});
