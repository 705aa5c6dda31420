// Properties over random input, on every engine. Over HTTP: any method, path (random text and
// random bytes, percent-encoded) and query string (the API's parameters with random values, and
// random ones) answers below 500, in the API's error shape when it is an error, and never with a
// row of another owner. Through the library: random JSON as a response, input items or messages
// is stored or refused with a typed error, and a refused call writes nothing.
import fc from "fast-check";
import { expect, test } from "vitest";
import { createResponsesHandler, isResponsesStoreError, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

const OWNERS = ["alice", "bob", ""] as const;
const IDS = ["resp_a1", "resp_a2", "resp_b1", "resp_n1"];
const OWNER_OF: Record<string, string> = { resp_a1: "alice", resp_a2: "alice", resp_b1: "bob", resp_n1: "" };

const segment = fc.oneof(
  fc.constantFrom("responses", "input_items", ...IDS, "", "..", "%", "%zz", "%00", "%ED%A0%80", "resp_a1%00"),
  fc.string({ unit: "grapheme", maxLength: 12 }).map(encodeURIComponent),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")),
);
const pathArb = fc.oneof(
  fc.array(segment, { maxLength: 4 }).map((s) => `/v1/${s.join("/")}`),
  fc.constantFrom(...IDS).map((id) => `/v1/responses/${id}`),
  segment.map((id) => `/v1/responses/${id}`),
  segment.map((id) => `/v1/responses/${id}/input_items`),
  fc.constantFrom(...IDS).map((id) => `/v1/responses/${id}/input_items`),
  fc.constant("/v1/responses"),
);
const value = fc.oneof(
  fc.constantFrom(
    "",
    "0",
    "-1",
    "1",
    "20",
    "100",
    "101",
    "1e3",
    "asc",
    "desc",
    "true",
    "false",
    "null",
    ...IDS,
    "msg_a1",
    "%00",
    "a\u0000b",
  ),
  fc.string({ maxLength: 10 }),
  fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b).toString("latin1")),
);
const queryArb = fc
  .array(
    fc.tuple(fc.constantFrom("after", "before", "limit", "order", "include", "include[]", "model", "include_input", "stream", "x"), value),
    {
      maxLength: 5,
    },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());
const requestArb = fc.record({
  method: fc.constantFrom("GET", "GET", "GET", "DELETE", "HEAD", "POST", "PUT", "PATCH", "OPTIONS"),
  path: pathArb,
  query: queryArb,
  user: fc.constantFrom(...OWNERS, "mallory", "alice\u0000", "\ud800"),
});

describeProviders(PROVIDERS, "random input on $label", (provider) => {
  const stores = storeFactory(provider);

  /** A store on this test's database holding each owner's rows. */
  async function seeded(): Promise<ResponsesStore> {
    const store = await stores.open();
    for (const id of IDS) {
      const owner = OWNER_OF[id]!;
      await store.storeResponseObject(makeResponse({ id }), [userMessage(`msg_${id}`)], [], { user: owner ? { principal: owner } : null });
    }
    return store;
  }

  test("HTTP: no request answers 5xx, errors have the API's shape, and no answer shows another owner's row", async () => {
    const store = await seeded();
    const handler = createResponsesHandler(store, {
      authenticate: (req) => {
        const principal = req.headers.get("x-user");
        return principal ? { principal } : null;
      },
      onError: () => {},
    });
    await fc.assert(
      fc.asyncProperty(requestArb, async ({ method, path, query, user }) => {
        let request: Request;
        try {
          request = new Request(`http://x${path}${query ? `?${query}` : ""}`, {
            method,
            headers: user ? { "x-user": encodeURIComponent(user) } : {},
          });
        } catch {
          return; // not a request a client can send
        }
        const response = await handler(request);
        expect(response.status, `${method} ${path}?${query}`).toBeLessThan(500);
        if (method === "HEAD") return;
        // An event stream (stream=true on a response with events) has no JSON body to check.
        if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
          await response.body?.cancel();
          return;
        }
        const body = (await response.json()) as {
          error?: { message: string; type: string; code: unknown };
          data?: { id: string }[];
          id?: string;
        };
        if (response.status >= 400) {
          expect(body.error).toMatchObject({ message: expect.any(String) as string, type: expect.any(String) as string });
          return;
        }
        const caller = decodeURIComponent(user);
        const mayRead = (id: string) => OWNER_OF[id] === undefined || OWNER_OF[id] === "" || OWNER_OF[id] === caller;
        for (const item of body.data ?? []) {
          if (IDS.includes(item.id)) expect(mayRead(item.id), `${caller} got ${item.id}`).toBe(true);
        }
        if (typeof body.id === "string" && IDS.includes(body.id)) expect(mayRead(body.id), `${caller} got ${body.id}`).toBe(true);
        // A delete that went through removed a row the caller could see: put it back for the next run.
        if (method === "DELETE" && response.status === 200 && typeof body.id === "string" && IDS.includes(body.id)) {
          const owner = OWNER_OF[body.id]!;
          await store.storeResponseObject(makeResponse({ id: body.id }), [userMessage(`msg_${body.id}`)], [], {
            user: owner ? { principal: owner } : null,
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  test("library: random JSON is stored or refused with a typed error; a refused call writes nothing", async () => {
    const store = await seeded();
    const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }));
    const responseArb = fc.oneof(
      jsonish,
      fc
        .record({ extra: jsonish, output: fc.oneof(fc.constant([]), fc.array(jsonish, { maxLength: 2 })) })
        .map((r) => ({ ...makeResponse({ id: "resp_fuzz" }), ...r })),
    );
    const listArb = fc.oneof(fc.array(jsonish, { maxLength: 3 }), jsonish, fc.constant([]));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(responseArb, listArb, listArb, async (response, input, messages) => {
        const id = `resp_fuzz_${n++}`;
        const candidate = typeof response === "object" && response !== null && !Array.isArray(response) ? { ...response, id } : response;
        try {
          await store.storeResponseObject(candidate as never, input as never, messages as never, { user: { principal: "fuzz" } });
        } catch (error) {
          expect(isResponsesStoreError(error), String(error)).toBe(true);
          await expect(store.getResponseObject(id, { user: { principal: "fuzz" } })).rejects.toMatchObject({ code: "RESPONSE_NOT_FOUND" });
          return;
        }
        // Stored: it reads back as JSON says it was given.
        const got = await store.getResponseObject(id, { user: { principal: "fuzz" } });
        expect(JSON.parse(JSON.stringify(got.input))).toEqual(JSON.parse(JSON.stringify(input)));
      }),
      { numRuns: 150 },
    );
  });
});
