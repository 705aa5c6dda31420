/**
 * A Fetch-API handler served on Node's http module.
 *
 * Serves a Fetch-API handler on Node's http module (for `serve`, tests and plain Node hosts): each
 * IncomingMessage becomes a Request, the Response is written back.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

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
    let request: Request;
    // The request's signal aborts when the client goes away before the answer ends (a followed event stream stops).
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    try {
      request = toRequest(req, gone.signal);
    } catch (error) {
      // What the client sent is at fault (a malformed Host or path, a method Fetch forbids): a 4xx, no stack trace.
      const status = error instanceof ForbiddenMethod ? 405 : 400;
      const message =
        error instanceof ForbiddenMethod
          ? `Method ${req.method ?? ""} is not allowed`
          : "Malformed request: the Host header or the URL does not parse";
      const code = status === 405 ? "method_not_allowed" : "bad_request";
      res.writeHead(status, {
        "content-type": "application/json",
        "cache-control": "no-store",
        ...(status === 405 ? { allow: ALLOWED } : {}),
      });
      res.end(JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code } }));
      return;
    }
    try {
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (req.method === "HEAD" || !response.body) {
        await response.body?.cancel();
        res.end();
        return;
      }
      // Sent as it comes (an event stream is written event by event), ended when the body ends.
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res).catch(() => {
        // the client went away: the body was cancelled
      });
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ error: { message: "Internal server error", type: "server_error", param: null, code: null } }));
      console.error("openai-responses-store: request failed", error);
    }
  };
}

/** The methods the API answers anywhere (a method Fetch cannot even represent gets 405 with this). */
const ALLOWED = "GET, HEAD, POST, DELETE";

/** CONNECT, TRACE and TRACK: Fetch's Request refuses them. */
class ForbiddenMethod extends Error {}

/** The request as a Fetch Request; throws on what the client got wrong. */
function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const method = (req.method ?? "GET").toUpperCase();
  if (method === "CONNECT" || method === "TRACE" || method === "TRACK") throw new ForbiddenMethod(method);
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === "string") headers.set(k, v);
    else if (Array.isArray(v)) for (const item of v) headers.append(k, item);
  }
  // Only POST routes take a body (the handler reads it, bounded); GET, HEAD and DELETE bodies are not read.
  if (method !== "POST") return new Request(url, { method, headers, signal });
  return new Request(url, { method, headers, signal, body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" });
}
