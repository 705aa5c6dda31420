// openai-responses-store/next: one store per URL per process, surviving module re-evaluation
// (what `next dev` does on hot reload), and route exports that serve the API.
import { afterAll, describe, expect, test, vi } from "vitest";
import { createResponsesHandler, isResponsesStoreError } from "../../src/index.js";
import { PROVIDERS, freshDatabase } from "../support/databases.js";
import { makeResponse } from "../support/fixtures.js";

describe("Next.js integration", async () => {
  const db = await freshDatabase(PROVIDERS[0]!);
  afterAll(() => db.drop());

  test("getResponsesStore returns one store per URL, even after the module is evaluated again", async () => {
    const first = await import("../../src/next/index.js");
    const [a, b] = await Promise.all([first.getResponsesStore({ url: db.url }), first.getResponsesStore({ url: db.url })]);
    expect(a).toBe(b);
    vi.resetModules(); // a hot reload: a fresh copy of the module
    const reloaded = await import("../../src/next/index.js");
    expect(reloaded).not.toBe(first);
    expect(await reloaded.getResponsesStore({ url: db.url })).toBe(a);
  });

  test("the route exports serve the API from a catch-all route", async () => {
    const { getResponsesStore, toNextRouteHandlers } = await import("../../src/next/index.js");
    const store = await getResponsesStore({ url: db.url });
    await store.storeResponseObject(makeResponse({ id: "resp_next" }), []);
    const { GET, DELETE } = toNextRouteHandlers(async (req) => createResponsesHandler(await getResponsesStore({ url: db.url }))(req));
    const got = await GET(new Request("http://localhost/v1/responses/resp_next"));
    expect(got.status).toBe(200);
    expect(((await got.json()) as { id: string }).id).toBe("resp_next");
    expect((await DELETE(new Request("http://localhost/v1/responses/resp_next", { method: "DELETE" }))).status).toBe(200);
    await store.shutdown();
  });

  test("the Edge runtime is refused with a clear error", async () => {
    const { getResponsesStore } = await import("../../src/next/index.js");
    vi.stubEnv("NEXT_RUNTIME", "edge");
    try {
      // After the module reload above this is another copy of the package: the brand check
      // (isResponsesStoreError) still recognises the error where instanceof cannot.
      let error: unknown;
      try {
        void getResponsesStore({ url: db.url });
      } catch (e) {
        error = e;
      }
      expect(isResponsesStoreError(error, "INVALID_OPTIONS")).toBe(true);
      expect(() => getResponsesStore({ url: db.url })).toThrow(/runtime = "nodejs"/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
