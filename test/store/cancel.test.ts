// Cancelling a background response, on every configured database: through the library and the
// official SDK's client.responses.cancel(id), in each status, in one transaction under the row
// lock (so a worker's late write cannot slip between the check and the change).
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { ResponseNotFoundError, ResponseStateConflictError, createResponsesHandler } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";
import { bearerUser, loopbackServers } from "../support/loopback.js";

describe.each(PROVIDERS)("cancel on $label", (provider) => {
  const stores = storeFactory(provider);
  const listen = loopbackServers();
  const background = (id: string, status: string) => makeResponse({ id, status, background: true });

  test("a queued or in-progress background response becomes cancelled; cancelling it again answers it again", async () => {
    const store = await stores.open();
    for (const status of ["queued", "in_progress"]) {
      const id = `resp_${status}`;
      await store.storeResponseObject(background(id, status), [userMessage("m1")], [], { user: alice });
      const cancelled = await store.cancelResponse(id, { user: alice });
      expect(cancelled).toEqual({ ...background(id, status), status: "cancelled" });
      expect(await store.cancelResponse(id, { user: alice })).toEqual(cancelled);
      // Its input and messages are kept.
      expect((await store.getResponseObject(id, { user: alice })).input).toEqual([userMessage("m1")]);
    }
  });

  test("a response that is not a background one, or has ended, is a conflict; another's is not found", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_fg", status: "in_progress" }), [], [], { user: alice });
    await expect(store.cancelResponse("resp_fg", { user: alice })).rejects.toMatchObject({ code: "RESPONSE_STATE_CONFLICT", status: null });
    for (const status of ["completed", "failed", "incomplete"]) {
      await store.storeResponseObject(background(`resp_${status}`, status), [], [], { user: alice });
      const refused = await store.cancelResponse(`resp_${status}`, { user: alice }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ResponseStateConflictError);
      expect(refused).toMatchObject({ status });
      expect(await store.getResponseObject(`resp_${status}`, { user: alice })).toMatchObject({ status }); // unchanged
    }
    await store.storeResponseObject(background("resp_alice", "in_progress"), [], [], { user: alice });
    await expect(store.cancelResponse("resp_alice", { user: bob })).rejects.toBeInstanceOf(ResponseNotFoundError);
    await expect(store.cancelResponse("resp_missing", { user: alice })).rejects.toBeInstanceOf(ResponseNotFoundError);
    expect(await store.getResponseObject("resp_alice", { user: alice })).toMatchObject({ status: "in_progress" });
  });

  test("the official SDK's client.responses.cancel in each status, with the API's 409 and 404", async () => {
    const store = await stores.open();
    const origin = await listen(createResponsesHandler(store, { authenticate: bearerUser, onError: () => {} }));
    const client = new OpenAI({ baseURL: `${origin}/v1`, apiKey: "alice", maxRetries: 0 });
    for (const status of ["queued", "in_progress"]) {
      await store.storeResponseObject(background(`resp_${status}`, status), [], [], { user: alice });
      expect(await client.responses.cancel(`resp_${status}`)).toMatchObject({ id: `resp_${status}`, status: "cancelled" });
      expect(await client.responses.cancel(`resp_${status}`)).toMatchObject({ status: "cancelled" }); // answered again
    }
    await store.storeResponseObject(makeResponse({ id: "resp_fg", status: "in_progress" }), [], [], { user: alice });
    for (const status of ["completed", "failed", "incomplete"])
      await store.storeResponseObject(background(`resp_${status}`, status), [], [], { user: alice });
    for (const id of ["resp_fg", "resp_completed", "resp_failed", "resp_incomplete"]) {
      const refused = await client.responses.cancel(id).catch((e: unknown) => e);
      expect(refused, id).toBeInstanceOf(OpenAI.ConflictError);
      expect((refused as InstanceType<typeof OpenAI.ConflictError>).status).toBe(409);
      expect((refused as { error?: unknown }).error, id).toMatchObject({ code: "response_state_conflict" });
    }
    expect(await store.getResponseObject("resp_completed", { user: alice })).toMatchObject({ status: "completed" }); // unchanged
    await expect(client.responses.cancel("resp_nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
