/**
 * Every error the store throws: one base class with a stable `code`, a subclass per failure a caller handles.
 *
 * The original error is kept as `cause`. HTTP statuses are the HTTP layer's (http/error-body.ts).
 */

const BRAND = Symbol.for("openai-responses-store.error");

/**
 * The stable codes of {@link ResponsesStoreError}; covered by semver.
 *
 * @example
 * ```ts
 * const code: ResponsesStoreErrorCode = "RESPONSE_NOT_FOUND";
 * if (isResponsesStoreError(error, code)) console.warn(error.message);
 * ```
 */
export type ResponsesStoreErrorCode =
  | "RESPONSE_NOT_FOUND"
  | "INPUT_ITEM_NOT_FOUND"
  | "INVALID_PARAMETER"
  | "VALIDATION_FAILED"
  | "RESPONSE_ID_CONFLICT"
  | "CONVERSATION_NOT_FOUND"
  | "CONVERSATION_ID_CONFLICT"
  | "CONVERSATION_ITEM_NOT_FOUND"
  | "CONVERSATION_HISTORY_CONFLICT"
  | "CONVERSATION_LOCKED"
  | "RESPONSE_STATE_CONFLICT"
  | "INVALID_OPTIONS"
  | "INVALID_POLICY"
  | "ACCESS_DENIED"
  | "MIGRATION_FAILED"
  | "STORE_CLOSED"
  | "STORAGE_FAILED";

/**
 * Base class of every error thrown by openai-responses-store.
 *
 * @example
 * ```ts
 * try {
 *   await store.getResponseObject("resp_missing");
 * } catch (error) {
 *   if (isResponsesStoreError(error, "RESPONSE_NOT_FOUND")) return notFound();
 *   throw error;
 * }
 * ```
 */
export abstract class ResponsesStoreError extends Error {
  /** A stable machine-readable code; use it rather than the message. */
  abstract readonly code: ResponsesStoreErrorCode;
  readonly [BRAND] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * True when `error` is a {@link ResponsesStoreError} (optionally with the given code). Works
 * across two loaded copies of the package, where `instanceof` does not.
 *
 * @example
 * ```ts
 * if (isResponsesStoreError(error, "INVALID_PARAMETER")) console.warn(error.message);
 * ```
 */
export function isResponsesStoreError<C extends ResponsesStoreErrorCode>(
  error: unknown,
  code?: C,
): error is ResponsesStoreError & { code: C } {
  if (typeof error !== "object" || error === null || !(BRAND in error)) return false;
  return code === undefined || (error as ResponsesStoreError).code === code;
}

/**
 * The response does not exist, or the caller may not see it (the two look the same on purpose).
 *
 * @example
 * ```ts
 * await store.getResponseObject("resp_x"); // throws: Response with id resp_x not found
 * ```
 */
export class ResponseNotFoundError extends ResponsesStoreError {
  readonly code = "RESPONSE_NOT_FOUND";
  constructor(
    readonly responseId: string,
    options?: { cause?: unknown },
  ) {
    super(`Response with id ${responseId} not found`, options);
  }
}

/**
 * An `after` or `before` cursor of `listResponseInputItems` names no input item of the response.
 *
 * @example
 * ```ts
 * await store.listResponseInputItems("resp_1", { after: "msg_nope" });
 * // throws: Input item with id 'msg_nope' not found for response 'resp_1'
 * ```
 */
export class InputItemNotFoundError extends ResponsesStoreError {
  readonly code = "INPUT_ITEM_NOT_FOUND";
  constructor(
    readonly itemId: string,
    readonly responseId: string,
  ) {
    super(`Input item with id '${itemId}' not found for response '${responseId}'`);
  }
}

/**
 * A call parameter is invalid: a limit outside its range, an unknown order or include value,
 * both `after` and `before`, a list cursor that names no visible response, a batch size, a
 * prune's `olderThan`, or `ownerCounts`' limit. `param` names it.
 *
 * @example
 * ```ts
 * await store.listResponses({ limit: 0 }); // throws, error.param === "limit"
 * ```
 */
export class InvalidParameterError extends ResponsesStoreError {
  readonly code = "INVALID_PARAMETER";
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One problem found by {@link ValidationError}: where it is and what is wrong.
 *
 * @example
 * ```ts
 * const issues: ValidationIssue[] = error instanceof ValidationError ? error.issues : [];
 * for (const issue of issues) console.warn(issue.path.join("."), issue.message);
 * ```
 */
export interface ValidationIssue {
  /** Path from the validated argument, e.g. `["output", 0, "type"]`. */
  path: (string | number)[];
  message: string;
}

/**
 * An argument to be stored is not valid: a response, input items or messages (of a store, an
 * update or an import), a conversation id, the `user`, or a read's `consistencyToken` or `readFrom`. The message names the argument,
 * field and reason; nothing was written.
 *
 * @example
 * ```ts
 * await store.storeResponseObject({ id: "resp_1" } as never, []);
 * // throws: Invalid response: created_at: Invalid input: expected number, received undefined; ...
 * ```
 */
export class ValidationError extends ResponsesStoreError {
  readonly code = "VALIDATION_FAILED";
  constructor(
    readonly argument:
      "response" | "input" | "messages" | "items" | "events" | "metadata" | "user" | "conversation_id" | "consistencyToken" | "readFrom",
    readonly issues: ValidationIssue[],
  ) {
    const detail = issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
    super(`Invalid ${argument}: ${detail}`);
  }
}

/**
 * A response with this id is already stored by another owner; the write was refused and the
 * stored row is untouched.
 *
 * @example
 * ```ts
 * await store.storeResponseObject(resp, [], [], { user: bob }); // alice owns resp.id: throws
 * ```
 */
export class ResponseIdConflictError extends ResponsesStoreError {
  readonly code = "RESPONSE_ID_CONFLICT";
  constructor(readonly responseId: string) {
    super(`Response id ${responseId} is already taken by another owner`);
  }
}

/**
 * No messages are stored for this conversation, or the caller may not see them (the two look
 * the same on purpose).
 *
 * @example
 * ```ts
 * await store.deleteConversationMessages("conv_x"); // throws: Conversation conv_x not found
 * ```
 */
export class ConversationNotFoundError extends ResponsesStoreError {
  readonly code = "CONVERSATION_NOT_FOUND";
  constructor(readonly conversationId: string) {
    super(`Conversation ${conversationId} not found`);
  }
}

/**
 * A conversation has no item with this id (the conversation exists and the caller may see it),
 * or a page's `after` names none.
 *
 * @example
 * ```ts
 * await store.conversations.items.retrieve("conv_1", "msg_nope"); // throws: Conversation item msg_nope not found in conv_1
 * ```
 */
export class ConversationItemNotFoundError extends ResponsesStoreError {
  readonly code = "CONVERSATION_ITEM_NOT_FOUND";
  constructor(
    readonly itemId: string,
    readonly conversationId: string,
  ) {
    super(`Conversation item ${itemId} not found in ${conversationId}`);
  }
}

/**
 * A session's history transaction was refused, and history is unchanged: its operation id was
 * applied before with a different transaction, or the suffix it replaces is no longer the
 * conversation's newest items.
 *
 * @example
 * ```ts
 * try {
 *   await session.applyHistoryTransaction({ operationId: "op_1", transaction });
 * } catch (error) {
 *   if (error instanceof ConversationHistoryConflictError) console.warn(error.reason); // "operation" or "suffix"
 * }
 * ```
 */
export class ConversationHistoryConflictError extends ResponsesStoreError {
  readonly code = "CONVERSATION_HISTORY_CONFLICT";
  constructor(
    readonly conversationId: string,
    readonly reason: "operation" | "suffix",
  ) {
    super(
      reason === "operation"
        ? `Session history operation was already applied to ${conversationId} with a different transaction`
        : `Session history suffix of ${conversationId} no longer matches the transaction's precondition`,
    );
  }
}

/**
 * Another response is in progress (queued or in_progress) on the conversation: a response that
 * would start on it now is refused, and nothing is written, until that one ends.
 *
 * @example
 * ```ts
 * await store.storeResponseObject({ ...response, status: "in_progress", conversation: "conv_1" }, input);
 * // while another is in progress on conv_1: throws ConversationLockedError
 * ```
 */
export class ConversationLockedError extends ResponsesStoreError {
  readonly code = "CONVERSATION_LOCKED";
  constructor(readonly conversationId: string) {
    super(`Another response is currently being generated on conversation ${conversationId}; wait until it completes`);
  }
}

/**
 * The response's state does not allow the change, and nothing was written: only a response
 * created with `background: true` can be cancelled, and not once it is `completed`, `failed` or
 * `incomplete`; and no store or update moves a response out of a final status (`completed`,
 * `failed`, `cancelled`, `incomplete`), so a worker finishing after a cancel learns to stop.
 *
 * @example
 * ```ts
 * await store.cancelResponse("resp_done"); // a completed one: throws, error.status === "completed"
 * await store.updateResponseObject({ ...response, status: "completed" }); // cancelled meanwhile: throws, error.attempted === "completed"
 * ```
 */
export class ResponseStateConflictError extends ResponsesStoreError {
  readonly code = "RESPONSE_STATE_CONFLICT";
  constructor(
    readonly responseId: string,
    /** The stored status, or `null` for a response that is not a background one. */
    readonly status: string | null,
    /**
     * For a write (a store or an update) refused because the response has a final status: the
     * status it tried to set (`null`: none). Absent for a refused cancel.
     */
    readonly attempted?: string | null,
  ) {
    super(
      attempted !== undefined
        ? `Response ${responseId} is already ${status}, a final status: it cannot become ${attempted ?? "a response without a status"}`
        : status === null
          ? `Only responses created with background=true can be cancelled (${responseId})`
          : `Cannot cancel response ${responseId}: it is already ${status}`,
    );
  }
}

/**
 * The conversation's messages are stored by another owner; the write was refused and the stored
 * row is untouched.
 *
 * @example
 * ```ts
 * await store.storeConversationMessages("conv_1", messages, { user: bob }); // alice's: throws
 * ```
 */
export class ConversationIdConflictError extends ResponsesStoreError {
  readonly code = "CONVERSATION_ID_CONFLICT";
  constructor(readonly conversationId: string) {
    super(`Conversation id ${conversationId} is already taken by another owner`);
  }
}

/**
 * The store options are invalid (for example a URL with an unsupported scheme).
 *
 * @example
 * ```ts
 * await createResponsesStore({ url: "mongodb://x" }); // throws, error.option === "url"
 * ```
 */
export class ConfigurationError extends ResponsesStoreError {
  readonly code = "INVALID_OPTIONS";
  constructor(
    readonly option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An access rule of the store's policy is malformed: an unknown action or condition, a
 * condition that does not parse, an attribute key that is not an identifier. Thrown when the
 * store is created, never later: a bad rule is never a silent allow.
 *
 * @example
 * ```ts
 * new ResponsesStore({ policy: [{ permit: { actions: ["read"] }, when: "user is boss" }] });
 * // throws PolicyError: policy[0].when[0]: unknown condition "user is boss"
 * ```
 */
export class PolicyError extends ResponsesStoreError {
  readonly code = "INVALID_POLICY";
  constructor(
    readonly ruleIndex: number,
    readonly path: string,
    message: string,
  ) {
    super(`Invalid access policy: policy[${ruleIndex}]${path ? `.${path}` : ""}: ${message}`);
  }
}

/**
 * The policy does not let the caller do this: create a response or a conversation's messages,
 * or update a response it may see. (Rows the caller may not see look like "not found" or an id
 * conflict instead, revealing nothing.)
 *
 * @example
 * ```ts
 * await store.storeResponseObject(resp, [], [], { user: guest }); // throws AccessDeniedError
 * ```
 */
export class AccessDeniedError extends ResponsesStoreError {
  readonly code = "ACCESS_DENIED";
  constructor(
    readonly action: string,
    /** The id of the response, or of the conversation when `resource` says so (the name is public and stays). */
    readonly responseId: string,
    /** What was refused: a response, a conversation's messages, or a conversation. */
    readonly resource: "response" | "conversation messages" | "conversation" = "response",
  ) {
    super(`Not allowed to ${action} ${resource} ${responseId}`);
  }
}

/**
 * Applying the bundled migrations failed, or the database's migration history does not match
 * them (an edited or failed migration).
 *
 * @example
 * ```ts
 * await createResponsesStore({ url }); // throws MigrationError with error.migration set
 * ```
 */
export class MigrationError extends ResponsesStoreError {
  readonly code = "MIGRATION_FAILED";
  /** Whether starting again later may succeed (the database was unreachable, not at fault). */
  readonly retryable: boolean;
  constructor(
    readonly migration: string | undefined,
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }
}

/**
 * The store was used after `shutdown()`. (Before `initialize()`, calls initialize it.)
 *
 * @example
 * ```ts
 * await store.shutdown();
 * await store.listResponses(); // throws StoreClosedError
 * ```
 */
export class StoreClosedError extends ResponsesStoreError {
  readonly code = "STORE_CLOSED";
  constructor(message = "Responses store is closed") {
    super(message);
  }
}

/**
 * The database failed. `retryable` tells whether trying again later may succeed (connection
 * lost, deadlock, busy) or not (the data or schema is at fault). The driver error is `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await store.storeResponseObject(response, input);
 * } catch (e) {
 *   if (e instanceof StorageError && e.retryable) scheduleRetry();
 * }
 * ```
 */
export class StorageError extends ResponsesStoreError {
  readonly code = "STORAGE_FAILED";
  /** How many times the operation was tried (more than 1 after transient failures). */
  readonly attempts: number;
  constructor(
    readonly operation: string,
    readonly retryable: boolean,
    options: { cause: unknown; attempts?: number },
  ) {
    const tries = options.attempts && options.attempts > 1 ? ` (after ${options.attempts} attempts)` : "";
    super(`Database operation '${operation}' failed${tries}: ${describeCause(options.cause)}`, { cause: options.cause });
    this.attempts = options.attempts ?? 1;
  }
}

/** The cause's last line (drivers put the server's text there; the pools keep stored content out of it). */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message.split("\n").filter(Boolean).slice(-1)[0] ?? cause.name;
  return String(cause);
}
