// A response's streaming events, on every configured database: appended in order (a gap or a
// repeat is a ValidationError, and nothing is stored), replayed after a sequence number, then
// followed live while another instance appends, through the official SDK's
// client.responses.retrieve(id, { stream: true, starting_after }); deleted with their response.
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { ResponseNotFoundError, ValidationError, createResponsesHandler, type ResponseStreamEvent } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, makeResponse, storeFactory } from "../support/fixtures.js";
import { bearerUser, loopbackServers } from "../support/loopback.js";

const delta = (n: number): ResponseStreamEvent => ({
  type: "response.output_text.delta",
  sequence_number: n,
  item_id: "msg_1",
  output_index: 0,
  content_index: 0,
  delta: `d${n}`,
  logprobs: [],
});

/** Every event an iterator gives, to its end. */
async function collect(events: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const all: ResponseStreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe.each(PROVIDERS)("response events on $label", (provider) => {
  const stores = storeFactory(provider);
  const listen = loopbackServers();
  const background = (id: string) => makeResponse({ id, status: "in_progress", background: true });

  test("events are appended in order: a gap, a repeat or a non-event is a ValidationError and stores nothing", async () => {
    const store = await stores.open();
    await store.storeResponseObject(background("resp_e"), [], [], { user: alice });
    expect(await store.appendResponseEvents("resp_e", [delta(0), delta(1)], { user: alice })).toBe(1);
    for (const bad of [
      [delta(3)],
      [delta(1)],
      [delta(2), delta(2)],
      [delta(2), delta(4)],
      [],
      [{ type: "x" }],
      [{ ...delta(2), type: "" }],
    ]) {
      const refused = await store.appendResponseEvents("resp_e", bad as ResponseStreamEvent[], { user: alice }).catch((e: unknown) => e);
      expect(refused, JSON.stringify(bad)).toBeInstanceOf(ValidationError);
    }
    expect(await store.appendResponseEvents("resp_e", [delta(2)], { user: alice })).toBe(2);
    const stored = await store.responseEvents("resp_e", { user: alice, follow: false });
    expect((await collect(stored)).map((e) => e.sequence_number)).toEqual([0, 1, 2]);
    await expect(store.appendResponseEvents("resp_e", [delta(3)], { user: bob })).rejects.toBeInstanceOf(ResponseNotFoundError);
    await expect(store.appendResponseEvents("resp_nope", [delta(0)], { user: alice })).rejects.toBeInstanceOf(ResponseNotFoundError);
    await expect(store.responseEvents("resp_e", { user: bob })).rejects.toBeInstanceOf(ResponseNotFoundError);
    // A cursor past any sequence number, or a signal that is not one, is the caller's mistake (never the database's).
    await expect(store.responseEvents("resp_e", { user: alice, startingAfter: 2 ** 40 })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      param: "starting_after",
    });
    await expect(store.responseEvents("resp_e", { user: alice, signal: {} as AbortSignal })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      param: "signal",
    });
  });

  test("a stream resumed through the SDK on a second instance gets exactly the missing events, then the live ones, then ends", async () => {
    const worker = await stores.open();
    const server = await stores.open();
    const origin = await listen(createResponsesHandler(server, { authenticate: bearerUser, onError: () => {} }));
    const client = new OpenAI({ baseURL: `${origin}/v1`, apiKey: "alice", maxRetries: 0 });
    await worker.storeResponseObject(background("resp_s"), [], [], { user: alice });
    const created = { type: "response.created", sequence_number: 0, response: background("resp_s") };
    await worker.appendResponseEvents("resp_s", [created, delta(1), delta(2), delta(3), delta(4)], { user: alice });

    const stream = await client.responses.retrieve("resp_s", { stream: true, starting_after: 2 });
    const received: number[] = [];
    const reading = (async () => {
      for await (const event of stream) received.push(event.sequence_number);
    })();
    // The worker goes on from another instance: the follower sees each as it lands.
    for (let n = 5; n <= 8; n++) {
      await new Promise((r) => setTimeout(r, 20));
      await worker.appendResponseEvents("resp_s", [delta(n)], { user: alice });
    }
    const done = { type: "response.completed", sequence_number: 9, response: { ...background("resp_s"), status: "completed" } };
    await worker.appendResponseEvents("resp_s", [done], { user: alice });
    await worker.updateResponseObject({ ...background("resp_s"), status: "completed" }, { user: alice });
    await reading;
    expect(received).toEqual([3, 4, 5, 6, 7, 8, 9]);
    // Replayed whole once it has ended, and a 404 for what the caller cannot see.
    const again = await client.responses.retrieve("resp_s", { stream: true });
    const all: number[] = [];
    for await (const event of again) all.push(event.sequence_number);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const bobs = new OpenAI({ baseURL: `${origin}/v1`, apiKey: "bob", maxRetries: 0 });
    await expect(bobs.responses.retrieve("resp_s", { stream: true })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const huge = await fetch(`${origin}/v1/responses/resp_s?stream=true&starting_after=99999999999999999999`, {
      headers: { authorization: "Bearer alice" },
    });
    expect(huge.status).toBe(400);
  });

  test("a response that ended with no event stored has no stream: a 400 that says so, not an empty stream", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_plain" }), [], [], { user: alice });
    await expect(store.responseEvents("resp_plain", { user: alice })).rejects.toMatchObject({ code: "INVALID_PARAMETER", param: "stream" });
    const origin = await listen(createResponsesHandler(store, { authenticate: bearerUser, onError: () => {} }));
    const client = new OpenAI({ baseURL: `${origin}/v1`, apiKey: "alice", maxRetries: 0 });
    await expect(client.responses.retrieve("resp_plain", { stream: true })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    // Resuming at a position is answered as asked: nothing after it.
    expect(await collect(await store.responseEvents("resp_plain", { user: alice, startingAfter: 3 }))).toEqual([]);
  });

  test("a follow ends when the response ends without a terminal event, or is deleted; its events go with it", async () => {
    const store = await stores.open();
    await store.storeResponseObject(background("resp_c"), [], [], { user: alice });
    await store.appendResponseEvents("resp_c", [delta(0)], { user: alice });
    const following = store.responseEvents("resp_c", { user: alice }).then((it) => collect(it));
    await new Promise((r) => setTimeout(r, 50));
    await store.cancelResponse("resp_c", { user: alice });
    expect((await following).map((e) => e.sequence_number)).toEqual([0]);

    await store.storeResponseObject(background("resp_d"), [], [], { user: alice });
    await store.appendResponseEvents("resp_d", [delta(0), delta(1)], { user: alice });
    const followingDeleted = store.responseEvents("resp_d", { user: alice, startingAfter: 1 }).then((it) => collect(it));
    await new Promise((r) => setTimeout(r, 50));
    await store.deleteResponseObject("resp_d", { user: alice });
    expect(await followingDeleted).toEqual([]);
    // Stored again under the same id, it has no events.
    await store.storeResponseObject(background("resp_d"), [], [], { user: alice });
    expect(await collect(await store.responseEvents("resp_d", { user: alice, follow: false }))).toEqual([]);
    expect(await store.appendResponseEvents("resp_d", [delta(7)], { user: alice })).toBe(7);
  });
});
