// The HTTP layer at its edges: methods Fetch cannot represent (TRACE; Node itself answers 400 to
// TRACK) and malformed Host headers are
// client errors (4xx, no stack trace in the logs); answers are never cached by a shared cache and
// vary on the header that names the caller; a server error's body never carries the database's
// text, only an id the server's log line carries too; strings no database holds answer 404.
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test, vi } from "vitest";
import { StorageError, createResponsesHandler, toNodeListener, type ResponsesApi } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { makeResponse, storeFactory } from "../support/fixtures.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  vi.restoreAllMocks();
});

async function serve(handler: (request: Request) => Promise<Response>): Promise<number> {
  const listener = toNodeListener(handler);
  server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

/** Sends raw HTTP/1.1 text and returns the status line and headers of the answer. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let got = "";
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer")));
    socket.on("data", (d) => {
      got += d.toString();
      if (got.includes("\r\n\r\n")) socket.end();
    });
    socket.on("close", () => resolve(got));
    socket.on("error", reject);
  });
}

/** A ResponsesApi whose every call fails the way a database does, with its own text in the message. */
const failing: ResponsesApi = {
  getResponseObject: () =>
    Promise.reject(new StorageError("getResponseObject", false, { cause: new Error('relation "secret_table" does not exist') })),
  listResponses: () => Promise.reject(new Error("not a store error at all")),
  deleteResponseObject: () =>
    Promise.reject(new StorageError("deleteResponseObject", true, { cause: new Error("deadlock on secret_table") })),
  listResponseInputItems: () => Promise.reject(new StorageError("listResponseInputItems", false, { cause: new Error("x") })),
};

describe("the Node bridge and the handler at their edges", () => {
  test("TRACE and unknown methods answer 405 with Allow; a malformed Host answers 400; none of it logs", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const port = await serve(createResponsesHandler(failing));
    const trace = await raw(port, `TRACE /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(trace).toMatch(/^HTTP\/1\.1 405 /);
    expect(trace.toLowerCase()).toContain("allow: get, head, post, delete");
    const patch = await raw(port, `PATCH /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(patch).toMatch(/^HTTP\/1\.1 405 /);
    expect(patch.toLowerCase()).toContain("allow: get");
    for (const host of ["[", "a:99999"]) {
      const answer = await raw(port, `GET /v1/responses HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(errors).not.toHaveBeenCalled();
  });

  test("a server error's body says what kind of failure it was and the request id, never the database's text; the log line has the same id", async () => {
    const seen: { error: unknown; id: string }[] = [];
    const handler = createResponsesHandler(failing, { onError: (error, _request, id) => seen.push({ error, id }) });
    for (const [path, method, status] of [
      ["/v1/responses/resp_1", "GET", 500],
      ["/v1/responses", "GET", 500],
      ["/v1/responses/resp_1", "DELETE", 503],
    ] as const) {
      const response = await handler(new Request(`http://x${path}`, { method }));
      expect(response.status).toBe(status);
      const text = await response.text();
      expect(text).not.toContain("secret_table");
      expect(text).not.toContain("not a store error");
      const id = response.headers.get("x-request-id")!;
      expect(text).toContain(id);
      expect(seen.at(-1)?.id).toBe(id);
    }
    expect(seen).toHaveLength(3);
  });

  test("answers carry Cache-Control: no-store and Vary on the caller's header", async () => {
    const api = {
      ...failing,
      listResponses: () => Promise.resolve({ object: "list", data: [], first_id: null, last_id: null, has_more: false }),
    } as ResponsesApi;
    const byDefault = await createResponsesHandler(api)(new Request("http://x/v1/responses"));
    expect(byDefault.status).toBe(200);
    expect(byDefault.headers.get("cache-control")).toBe("no-store");
    expect(byDefault.headers.get("vary")).toBe("Authorization");
    const custom = await createResponsesHandler(api, { vary: ["X-User"] })(new Request("http://x/v1/nowhere"));
    expect(custom.status).toBe(404);
    expect(custom.headers.get("cache-control")).toBe("no-store");
    expect(custom.headers.get("vary")).toBe("X-User");
  });

  test("serve refuses a user header on a non-loopback address unless told a trusted proxy sets it", () => {
    const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", main, "--url", "file:/nonexistent/never-opened.db", "serve", "--host", "0.0.0.0", "--user-header", "x-user"],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--trust-user-header");
  });
});

describeProviders(PROVIDERS, "HTTP with strings no database holds on $label", (provider) => {
  const stores = storeFactory(provider);

  test("ids, cursors and model filters with NUL or lone surrogates answer 4xx, never the database's error", async () => {
    const store = await stores.open();
    await store.storeResponseObject(makeResponse({ id: "resp_1" }), []);
    const port = await serve(createResponsesHandler(store));
    const base = `http://127.0.0.1:${port}/v1`;
    for (const [path, status] of [
      ["/responses/a%00b", 404],
      ["/responses/a%00b/input_items", 404],
      ["/responses/x%ED%A0%80", 404],
      ["/responses?after=a%00b", 400],
      ["/responses?model=a%00b", 200],
    ] as const) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(status);
      expect(await response.text()).not.toMatch(/invalid byte sequence|0x00|22021|SQLSTATE/i);
    }
    expect((await fetch(`${base}/responses/a%00b`, { method: "DELETE" })).status).toBe(404);
  });
});
