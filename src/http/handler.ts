/**
 * createResponsesHandler: the store as an OpenAI-compatible HTTP API, as a Fetch-API handler.
 *
 * The handler is `(Request) => Promise<Response>`, which Next.js route handlers, Hono, Bun, Deno
 * and our own `serve` mount unchanged.
 */
import { randomUUID } from "node:crypto";
import type { User } from "../schemas/params.js";
import { errorResponse, json, responseForError } from "./error-body.js";
import { CONSISTENCY_HEADER, matchRoute, type ResponsesApi } from "./routes.js";

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
    const run = match.route.methods[method as "GET" | "DELETE"];
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
      const body = await run({ store, params: match.params, query: url.searchParams, user: caller, read });
      // After a write, the token that lets the client's next read, on any instance, see it.
      const token = method === "DELETE" ? await store.consistencyToken?.() : undefined;
      return json(200, body, token === undefined ? undefined : { [CONSISTENCY_HEADER]: token });
    } catch (error) {
      const requestId = randomUUID();
      const response = responseForError(error, requestId);
      if (response.status >= 500) onError(error, request, requestId);
      return response;
    }
  }
}

function notFound(path: string): Response {
  return errorResponse(404, { message: `No route for ${path}`, type: "invalid_request_error", param: null, code: "not_found" });
}
