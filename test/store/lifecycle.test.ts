// Lifecycle updates of a stored response (background mode: queued, in progress, completed),
// on every provider, through the write queue where it is on by default: the owner's updates
// land in call order and show at once; nobody else can update or see them; the stored input
// and messages stay as the reference keeps them; and re-storing an existing id needs `update`
// only.
import { describe, expect, test } from "vitest";
import { AccessDeniedError, ResponseNotFoundError, ValidationError, createResponsesHandler, type AccessRule } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, bob, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

const messages = [{ role: "user" as const, content: "Summarise the report" }];

describe.each(PROVIDERS)("lifecycle updates on $label", (provider) => {
  const stores = storeFactory(provider);

  test("a background response goes queued, in progress, completed; another user can neither update nor see it", async () => {
    const store = await stores.open();
    const queued = makeResponse({ id: "resp_bg", status: "queued", output: [], background: true });
    await store.storeResponseObject(queued, [userMessage("msg_1")], messages, { user: alice });

    await store.updateResponseObject({ ...queued, status: "in_progress" }, { user: alice });
    expect((await store.getResponseObject("resp_bg", { user: alice })).status).toBe("in_progress");

    await expect(store.updateResponseObject({ ...queued, status: "cancelled" }, { user: bob })).rejects.toBeInstanceOf(
      ResponseNotFoundError,
    );
    await expect(store.getResponseObject("resp_bg", { user: bob })).rejects.toBeInstanceOf(ResponseNotFoundError);

    const completed = makeResponse({ id: "resp_bg", status: "completed", background: true });
    await store.updateResponseObject(completed, { user: alice });
    const read = await store.getResponseObject("resp_bg", { user: alice });
    expect(read).toEqual({ ...completed, input: [userMessage("msg_1")], messages });
    expect((await store.listResponses({ user: alice })).data.map((r) => r.id)).toEqual(["resp_bg"]);
    expect((await store.listResponses({ user: bob })).data).toEqual([]);
  });

  test("input is replaced only when given; the stored messages always stay", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1", status: "queued" }), [userMessage("a")], messages, { user: alice });
    await store.updateResponseObject(makeResponse({ id: "resp_1", status: "in_progress" }), {
      user: alice,
      input: [userMessage("b"), userMessage("c")],
    });
    expect(await store.getResponseObject("resp_1", { user: alice })).toMatchObject({
      input: [userMessage("b"), userMessage("c")],
      messages,
    });
    expect((await store.listResponseInputItems("resp_1", { user: alice, order: "asc" })).data.map((i) => i.id)).toEqual(["b", "c"]);
  });

  test("an unknown id is not found and nothing is created; invalid input writes nothing", async () => {
    const store = await stores.open();
    await expect(store.updateResponseObject(makeResponse({ id: "resp_missing" }), { user: alice })).rejects.toBeInstanceOf(
      ResponseNotFoundError,
    );
    await expect(store.getResponseObject("resp_missing", { user: alice })).rejects.toBeInstanceOf(ResponseNotFoundError);
    await store.storeResponseObject(makeResponse({ id: "resp_1", status: "queued" }), [], [], { user: alice });
    await expect(
      store.updateResponseObject({ ...makeResponse({ id: "resp_1" }), created_at: 1.5 }, { user: alice }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.updateResponseObject(makeResponse({ id: "resp_1" }), { user: alice, input: [{ type: "message" }] }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await store.getResponseObject("resp_1", { user: alice })).status).toBe("queued");
  });

  test("updates and stores of one id, made without waiting, end in call order", async () => {
    const store = await stores.open({ queue: { concurrency: 4, batchSize: 3 } });
    const calls: Promise<void>[] = [
      store.storeResponseObject(makeResponse({ id: "resp_same", status: "s0" }), [userMessage("first")], messages, { user: alice }),
    ];
    for (let i = 1; i < 40; i++) {
      calls.push(
        i % 3 === 0
          ? store.storeResponseObject(makeResponse({ id: "resp_same", status: `s${i}` }), [userMessage(`in${i}`)], messages, {
              user: alice,
            })
          : store.updateResponseObject(makeResponse({ id: "resp_same", status: `s${i}` }), { user: alice }),
      );
      calls.push(store.storeResponseObject(makeResponse({ id: `resp_other_${i}` }), [], [], { user: alice }));
    }
    // Read while the writes may still be queued: the newest state of the id, never an older one.
    expect((await store.getResponseObject("resp_same", { user: alice })).status).toBe("s39");
    await Promise.all(calls);
    expect(await store.getResponseObject("resp_same", { user: alice })).toMatchObject({ status: "s39", input: [userMessage("in39")] });
  });

  test("a caller who may read but not update is refused with AccessDeniedError", async () => {
    const readAll: AccessRule[] = [
      { permit: { actions: ["create", "read", "update", "delete"] }, when: "user is owner" },
      { permit: { actions: ["read"] } },
    ];
    const store = await stores.open({ policy: readAll });
    await store.storeResponseObject(makeResponse({ id: "resp_1", status: "queued" }), [], [], { user: alice });
    await expect(store.updateResponseObject(makeResponse({ id: "resp_1", status: "failed" }), { user: bob })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    expect((await store.getResponseObject("resp_1", { user: bob })).status).toBe("queued");
  });

  test("re-storing an existing id needs update only; a new id still needs create", async () => {
    const seeder = await stores.open();
    await seeder.storeResponseObject(makeResponse({ id: "resp_mine", status: "queued" }), [], [], { user: alice });
    const noCreate: AccessRule[] = [
      { forbid: { actions: ["create"] } },
      { permit: { actions: ["read", "update", "delete"] }, when: "user is owner" },
    ];
    const store = await stores.open({ policy: noCreate });
    await store.storeResponseObject(makeResponse({ id: "resp_mine", status: "completed" }), [userMessage("x")], [], { user: alice });
    expect(await store.getResponseObject("resp_mine", { user: alice })).toMatchObject({ status: "completed", input: [userMessage("x")] });
    await expect(store.storeResponseObject(makeResponse({ id: "resp_new" }), [], [], { user: alice })).rejects.toMatchObject({
      code: "ACCESS_DENIED",
      action: "create",
    });
    await expect(seeder.getResponseObject("resp_new", { user: alice })).rejects.toBeInstanceOf(ResponseNotFoundError);
  });

  test("GET /v1/responses/{id} shows each state as soon as it is updated (a client polling)", async () => {
    const store = await stores.open();
    const handler = createResponsesHandler(store, { authenticate: (req) => ({ principal: req.headers.get("x-user") ?? "" }) });
    const poll = async () =>
      (
        (await (await handler(new Request("http://x/v1/responses/resp_poll", { headers: { "x-user": "alice" } }))).json()) as {
          status: string;
        }
      ).status;
    const response = makeResponse({ id: "resp_poll", status: "queued", background: true });
    await store.storeResponseObject(response, [], [], { user: { principal: "alice" } });
    for (const status of ["in_progress", "completed"]) {
      void store.updateResponseObject({ ...response, status }, { user: { principal: "alice" } }); // not awaited: the read must still see it
      expect(await poll()).toBe(status);
    }
  });
});
