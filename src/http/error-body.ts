/**
 * The only map from store errors to HTTP: a status and the Responses API's error body.
 *
 * The body is `{ error: { message, type, param, code } }`, which the official SDK turns into its
 * own error classes (404 → NotFoundError, 400 → BadRequestError, …).
 */
import { isResponsesStoreError, type ResponsesStoreErrorCode } from "../errors.js";

/** The API's error object. */
export interface ApiError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const MAP: Record<ResponsesStoreErrorCode, { status: number; type: string; code: string; param?: string }> = {
  RESPONSE_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "response_not_found", param: "response_id" },
  INPUT_ITEM_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "input_item_not_found" },
  INVALID_PARAMETER: { status: 400, type: "invalid_request_error", code: "invalid_parameter" },
  VALIDATION_FAILED: { status: 400, type: "invalid_request_error", code: "invalid_value" },
  RESPONSE_ID_CONFLICT: { status: 409, type: "invalid_request_error", code: "response_id_conflict" },
  CONVERSATION_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "conversation_not_found", param: "conversation_id" },
  CONVERSATION_ID_CONFLICT: { status: 409, type: "invalid_request_error", code: "conversation_id_conflict" },
  RESPONSE_STATE_CONFLICT: { status: 409, type: "invalid_request_error", code: "response_state_conflict" },
  CONVERSATION_LOCKED: { status: 400, type: "invalid_request_error", code: "conversation_locked", param: "conversation" },
  CONVERSATION_HISTORY_CONFLICT: { status: 409, type: "invalid_request_error", code: "conversation_history_conflict" },
  CONVERSATION_ITEM_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "item_not_found", param: "item_id" },
  ACCESS_DENIED: { status: 403, type: "permission_error", code: "access_denied" },
  STORE_CLOSED: { status: 503, type: "server_error", code: "store_closed" },
  STORAGE_FAILED: { status: 500, type: "server_error", code: "storage_failed" },
  INVALID_OPTIONS: { status: 500, type: "server_error", code: "server_misconfigured" },
  INVALID_POLICY: { status: 500, type: "server_error", code: "server_misconfigured" },
  MIGRATION_FAILED: { status: 500, type: "server_error", code: "server_misconfigured" },
};

/**
 * A JSON response with the given status. Every answer depends on the caller, so none may be
 * cached by a shared cache: `no-store`.
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

/** An error response in the API's shape. */
export function errorResponse(status: number, error: ApiError, headers: Record<string, string> = {}): Response {
  return json(status, { error }, headers);
}

/** What a 5xx body says instead of the error's own message (which may carry the database's text). */
const SERVER_MESSAGES: Partial<Record<ResponsesStoreErrorCode, string>> = {
  STORAGE_FAILED: "The database could not complete the request",
  STORE_CLOSED: "The server is shutting down",
  INVALID_OPTIONS: "The server is misconfigured",
  INVALID_POLICY: "The server is misconfigured",
  MIGRATION_FAILED: "The server is misconfigured",
};

/**
 * The HTTP response for a thrown error. A client error keeps the store error's message; a server
 * error says only what kind of failure it was (the details, the database's text included, stay in
 * the server's logs), with `requestId` to find them by.
 */
export function responseForError(error: unknown, requestId?: string): Response {
  const ref = requestId ? ` (request ${requestId})` : "";
  const id: Record<string, string> = requestId ? { "x-request-id": requestId } : {};
  if (!isResponsesStoreError(error)) {
    return errorResponse(500, { message: `Internal server error${ref}`, type: "server_error", param: null, code: null }, id);
  }
  const m = MAP[error.code];
  const retryable = error.code === "STORAGE_FAILED" && (error as { retryable?: boolean }).retryable;
  const param =
    "param" in error && typeof error.param === "string" ? error.param : error.code === "INPUT_ITEM_NOT_FOUND" ? null : (m.param ?? null);
  const status = retryable ? 503 : m.status;
  const message = status >= 500 ? `${SERVER_MESSAGES[error.code] ?? "Internal server error"}${ref}` : error.message;
  return errorResponse(
    status,
    { message, type: m.type, param, code: m.code },
    { ...(retryable ? { "retry-after": "1" } : {}), ...(status >= 500 ? id : {}) },
  );
}
