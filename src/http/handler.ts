/**
 * createResponsesHandler: the store as an OpenAI-compatible HTTP API, as a Fetch-API handler.
 *
 * The handler is `(Request) => Promise<Response>`, which Next.js route handlers, Hono, Bun, Deno
 * and our own `serve` mount unchanged.
 */
import { randomUUID } from "node:crypto";
import type { User } from "../schemas/params.js";
import { errorResponse, json, responseForError } from "./error-body.js";
import { CONSISTENCY_HEADER, matchRoute, type Method, type ResponsesApi } from "./routes.js";

export type { ResponsesApi } from "./routes.js";

/**
 * Options of {@link createResponsesHandler}.
 *
 * @example
 * ```ts
 * const options: ResponsesHandlerOptions = {
 *   basePath: "/api/v1",
 *   authenticate: (req) => ({ principal: verify(req.headers.get("authorization")) }),
 * };
 * const handler = createResponsesHandler(store, options);
 * ```
 */
export interface ResponsesHandlerOptions {
  /**
   * The caller of a request: a user, `null` for no user, or a Response to send instead (for
   * example a 401). Runs for every request.
   * @default () => null (every caller is "no user": it sees only rows stored without a user)
   */
  authenticate?: (request: Request) => User | null | Response | Promise<User | null | Response>;
  /** Where the API is mounted. @default "/v1" */
  basePath?: string;
  /**
   * Hears of errors that became a 5xx, with the request and the id the response body and its
   * `x-request-id` header carry. @default console.error, once per request
   */
  onError?: (error: unknown, request: Request, requestId: string) => void;
  /**
   * The request headers `authenticate` reads, sent back as `Vary` (every answer also carries
   * `Cache-Control: no-store`). @default ["Authorization"]
   */
  vary?: readonly string[];
}

/**
 * The Responses API over HTTP: `GET /responses/{id}`, `DELETE /responses/{id}`,
 * `GET /responses/{id}/input_items` (after, before, limit, order, include / include[]), and
 * `GET /responses` (after, limit, model, order). Bodies, status codes and errors are the
 * hosted API's, so the official `openai` SDK's `responses.retrieve`, `responses.delete` and
 * `responses.inputItems.list` (with auto-pagination) work against it.
 *
 * @example
 * ```ts
 * const handler = createResponsesHandler(store, {
 *   authenticate: (req) => ({ principal: verify(req.headers.get("authorization")) }),
 * });
 * // Next.js: export const GET = handler, DELETE = handler (see openai-responses-store/next)
 * ```
 */
export function createResponsesHandler(
  store: ResponsesApi,
  options: ResponsesHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const base = (options.basePath ?? "/v1").replace(/\/+$/, "");
  const authenticate = options.authenticate ?? (() => null);
  const onError =
    options.onError ??
    ((error: unknown, _request: Request, id: string) => console.error(`openai-responses-store: request ${id} failed`, error));
  const vary = (options.vary ?? ["Authorization"]).join(", ");
  const answered = (response: Response) => {
    try {
      if (vary) response.headers.set("vary", vary);
    } catch {
      // an immutable Response of the host's authenticate (Response.redirect) is sent as it is
    }
    return response;
  };

  return async (request) => answered(await answer(request));

  async function answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (!(url.pathname === base || url.pathname.startsWith(`${base}/`))) return notFound(url.pathname);
    let segments: string[];
    try {
      segments = url.pathname.slice(base.length).split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      return notFound(url.pathname);
    }
    const match = matchRoute(segments);
    if (!match) return notFound(url.pathname);
    const method = request.method === "HEAD" ? "GET" : request.method;
    const run = match.route.methods[method as Method];
    if (!run) {
      const allow = Object.keys(match.route.methods).join(", ");
      return errorResponse(
        405,
        {
          message: `Method ${request.method} is not allowed on ${url.pathname}; allowed: ${allow}`,
          type: "invalid_request_error",
          param: null,
          code: "method_not_allowed",
        },
        { allow },
      );
    }
    try {
      const caller = await authenticate(request);
      if (caller instanceof Response) return caller;
      const read = { consistencyToken: request.headers.get(CONSISTENCY_HEADER) };
      const given = method === "POST" ? await jsonBody(request) : {};
      if (given instanceof Response) return given;
      const body = await run({
        store,
        params: match.params,
        query: url.searchParams,
        user: caller,
        read,
        body: given,
        signal: request.signal,
      });
      if (body instanceof Response) return body; // an event stream, already under way
      // After a write, the token that lets the client's next read, on any instance, see it.
      const token = method === "GET" ? undefined : await store.consistencyToken?.();
      return json(200, body, token === undefined ? undefined : { [CONSISTENCY_HEADER]: token });
    } catch (error) {
      const requestId = randomUUID();
      const response = responseForError(error, requestId);
      if (response.status >= 500) onError(error, request, requestId);
      return response;
    }
  }
}

/** Most bytes of a request body: 1000 items of a turn fit many times over. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * A POST's body as a JSON object (`{}` when empty), read up to MAX_BODY_BYTES; a 400 or 413
 * answer for anything else, as the hosted API answers.
 */
async function jsonBody(request: Request): Promise<Record<string, unknown> | Response> {
  const invalid = (status: number, message: string, code: string) =>
    errorResponse(status, { message, type: "invalid_request_error", param: null, code });
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    return invalid(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`, "request_too_large");
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) return invalid(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`, "request_too_large");
      chunks.push(chunk);
    }
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid(400, "We could not parse the JSON body of your request.", "invalid_json");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return invalid(400, "The request body must be a JSON object.", "invalid_json");
  }
  return parsed as Record<string, unknown>;
}

function notFound(path: string): Response {
  return errorResponse(404, { message: `No route for ${path}`, type: "invalid_request_error", param: null, code: "not_found" });
}
