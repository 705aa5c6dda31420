// Fetch handlers served on loopback for a test file: each on a free port, all closed after each test.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { toNodeListener } from "../../src/index.js";

/** A function that serves a handler and returns its origin (`http://127.0.0.1:<port>`). */
export function loopbackServers(): (handler: (request: Request) => Promise<Response>) => Promise<string> {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((r) => server.close(r))));
  });
  return async (handler) => {
    const listener = toNodeListener(handler);
    const server = createServer((req, res) => void listener(req, res));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
}

/** The SDK's API key as the caller: `Bearer <principal>` is that user; no key, or "anonymous", is no user. */
export function bearerUser(request: Request): { principal: string } | null {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
  return token && token !== "anonymous" ? { principal: token } : null;
}
