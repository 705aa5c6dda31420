/**
 * A Fetch-API handler served on Node's http module.
 *
 * Serves a Fetch-API handler on Node's http module (for `serve`, tests and plain Node hosts): each
 * IncomingMessage becomes a Request, the Response is written back.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A `(req, res)` listener for `http.createServer` that runs `handler`.
 *
 * @example
 * ```ts
 * import http from "node:http";
 * const listener = toNodeListener(createResponsesHandler(store)); // never rejects: failures answer 500
 * http.createServer((req, res) => void listener(req, res)).listen(8321);
 * ```
 */
export function toNodeListener(handler: (request: Request) => Promise<Response>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === "string") headers.set(k, v);
        else if (Array.isArray(v)) for (const item of v) headers.append(k, item);
      }
      // The routes take no bodies; one is not read.
      const response = await handler(new Request(url, { method: req.method, headers }));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(req.method === "HEAD" ? undefined : Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Internal server error", type: "server_error", param: null, code: null } }));
      console.error("openai-responses-store: request failed", error);
    }
  };
}
