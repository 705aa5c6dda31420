/**
 * Per-call parameters, checked: the caller (`user`), list and input-item parameters, batch sizes, prune windows, limits.
 *
 * zod schemas with the reference's defaults; an invalid value becomes InvalidParameterError naming
 * the parameter (an invalid `user` a ValidationError).
 */
import { z } from "zod";
import { InvalidParameterError, ValidationError } from "../errors.js";
import { keyString, storableString } from "./common.js";

/**
 * The caller a read or write is made for. `null`/absent means "no user" (authentication off):
 * such a caller sees only rows stored without a user.
 */
const userSchema = z
  .object({
    principal: keyString("principal"),
    attributes: z.record(storableString, z.array(storableString)).nullish(),
  })
  .nullish();

/**
 * The caller of a store method.
 *
 * @example
 * ```ts
 * const user: User = { principal: "alice", attributes: { teams: ["search"] } };
 * await store.listResponses({ user });
 * ```
 */
export type User = { principal: string; attributes?: Record<string, string[]> | null };

/**
 * Every `include` value of the Responses API (`IncludeEnum`).
 *
 * @example
 * ```ts
 * const everything = [...INCLUDE_VALUES];
 * await store.listResponseInputItems("resp_1", { include: everything });
 * ```
 */
export const INCLUDE_VALUES = [
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
  "reasoning.encrypted_content",
  "message.output_text.logprobs",
] as const;

/**
 * One `include` value of `listResponseInputItems`.
 *
 * @example
 * ```ts
 * const include: IncludeValue[] = ["message.input_image.image_url"];
 * await store.listResponseInputItems("resp_1", { include });
 * ```
 */
export type IncludeValue = (typeof INCLUDE_VALUES)[number];

const order = z.enum(["asc", "desc"], { error: "order must be 'asc' or 'desc'" });
/** `order`, checked: newest first unless asked. */
export const orderParam = order.nullish().transform((v) => v ?? "desc");
/** A page's `limit`, 1..100, with its default. */
export const limit = (fallback: number) =>
  z
    .number({ error: "limit must be an integer between 1 and 100" })
    .int("limit must be an integer between 1 and 100")
    .min(1, "limit must be an integer between 1 and 100")
    .max(100, "limit must be an integer between 1 and 100")
    .nullish()
    .transform((v) => v ?? fallback);
/** "" and null mean "no cursor", as in the reference. */
export const cursor = z
  .string({ error: "cursor must be a string" })
  .nullish()
  .transform((v) => v || undefined);

/** Parameters of `listResponses`. */
export const listResponsesParamsSchema = z.object({
  after: cursor,
  includeInput: z
    .boolean({ error: "includeInput must be a boolean" })
    .nullish()
    .transform((v) => v ?? true),
  limit: limit(50),
  model: z
    .string({ error: "model must be a string" })
    .nullish()
    .transform((v) => v || undefined),
  order: order.nullish().transform((v) => v ?? "desc"),
});

/** `include`: the gated fields a page returns, each a known value. */
export const includeParam = z
  .array(
    z.enum(INCLUDE_VALUES, {
      error: (i) => `unknown include value ${JSON.stringify(i.input)}; expected one of ${INCLUDE_VALUES.join(", ")}`,
    }),
  )
  .nullish()
  .transform((v) => v ?? []);

/** Parameters of `listResponseInputItems`. */
export const listInputItemsParamsSchema = z.object({
  after: cursor,
  before: cursor,
  include: includeParam,
  limit: limit(20),
  order: orderParam,
});

/**
 * Options of `listResponses`.
 *
 * @example
 * ```ts
 * const params: ListResponsesParams = { user, limit: 20, model: "gpt-4o", order: "desc" };
 * const page = await store.listResponses(params);
 * ```
 */
export interface ListResponsesParams extends ReadOptions {
  /** Id of the response to list after (in the requested order). */
  after?: string | null;
  /**
   * Carry each item's `input`, as the reference does. History views that show responses only
   * pass `false`: the database then leaves the input out of what it sends.
   * @default true
   */
  includeInput?: boolean | null;
  /** 1..100. @default 50 */
  limit?: number | null;
  /** Only responses of this model. */
  model?: string | null;
  /** By created_at, then id. @default "desc" */
  order?: "asc" | "desc" | null;
  /** The caller; see {@link User}. */
  user?: User | null;
}

/**
 * Options of `listResponseInputItems`.
 *
 * @example
 * ```ts
 * const params: ListInputItemsParams = { user, order: "asc", limit: 50, after: "msg_10" };
 * const page = await store.listResponseInputItems("resp_1", params);
 * ```
 */
export interface ListInputItemsParams extends ReadOptions {
  /** Id of the item to list after (in the requested order). Exclusive with `before`. */
  after?: string | null;
  /** Id of the item to list before (in the requested order). Exclusive with `after`. */
  before?: string | null;
  /** Gated fields to return (image URLs, logprobs, file-search results, reasoning content). */
  include?: IncludeValue[] | null;
  /** 1..100. @default 20 */
  limit?: number | null;
  /** @default "desc" (newest item first) */
  order?: "asc" | "desc" | null;
  /** The caller; see {@link User}. */
  user?: User | null;
}

/** Parses call parameters; the first problem becomes an InvalidParameterError naming the parameter. */
export function parseParams<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = String(issue.path[0] ?? "params");
  throw new InvalidParameterError(param, `Invalid value for '${param}': ${issue.message}`);
}

/** Parses the caller; an invalid user is a ValidationError (the caller's setup is wrong, not a parameter). */
export function parseUser(user: unknown): User | null {
  if (user == null) return null;
  const result = userSchema.safeParse(user);
  if (!result.success) {
    throw new ValidationError(
      "user",
      result.error.issues.map((i) => ({ path: i.path.map(pathKey), message: i.message })),
    );
  }
  return result.data ?? null;
}

/**
 * The parameters of `listResponseInputItems`, checked, with both cursors refused together.
 *
 * @throws InvalidParameterError for a bad value, or both `after` and `before`.
 */
export function parseInputItemsParams(params: ListInputItemsParams | null | undefined): z.output<typeof listInputItemsParamsSchema> {
  const slice = parseParams(listInputItemsParamsSchema, { ...parseBag(params, {}, "params"), user: undefined });
  if (slice.after && slice.before) throw new InvalidParameterError("before/after", "Cannot specify both 'before' and 'after' parameters");
  return slice;
}

/** The type a field of an options object must have when given (null and undefined mean "not given"). */
type FieldType = "boolean" | "string" | "number" | "object" | "function";

/**
 * An options or parameters object, checked: null and undefined are an empty one; anything but a
 * plain object is refused, and so is a listed field of the wrong type.
 *
 * @throws InvalidParameterError naming the object or the field.
 */
export function parseBag<T extends object>(
  value: T | null | undefined,
  fields: { [K in keyof T]?: FieldType } = {},
  name = "options",
): Partial<T> {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidParameterError(name, `Invalid value for '${name}': expected an object`);
  }
  for (const [field, type] of Object.entries(fields) as [string, FieldType][]) {
    const given = (value as Record<string, unknown>)[field];
    if (given !== undefined && given !== null && typeof given !== type) {
      throw new InvalidParameterError(field, `Invalid value for '${field}': expected a ${type}`);
    }
  }
  return value;
}

/** The caller of a call that takes `{ user }` options, with the options object checked. */
export function parseCaller(options: { user?: User | null } | null | undefined): User | null {
  return parseUser(parseBag(options).user);
}

/**
 * An id argument (a response's, a conversation's), checked: a string.
 *
 * @throws InvalidParameterError naming the argument.
 */
export function parseId(name: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidParameterError(name, `Invalid value for '${name}': expected a string`);
  return value;
}

/** A batch size of a batched job (default 500), checked. */
export function parseBatchSize(batchSize: unknown = 500): number {
  if (typeof batchSize !== "number" || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new InvalidParameterError("batchSize", "Invalid value for 'batchSize': expected an integer between 1 and 10000");
  }
  return batchSize;
}

/** A prune's cutoff in unix seconds, from a Date or unix seconds, checked. */
export function parseOlderThan(olderThan: unknown): number {
  const cutoff = olderThan instanceof Date ? olderThan.getTime() / 1000 : olderThan;
  if (typeof cutoff !== "number" || !Number.isFinite(cutoff))
    throw new InvalidParameterError("olderThan", "Invalid value for 'olderThan': expected a Date or unix seconds");
  // Whole seconds, as created_at is stored (a bigint column takes no fraction), as a Date always was.
  return Math.floor(cutoff);
}

/** The `limit` of `ownerCounts` (default 10), checked. */
export function parseOwnerLimit(limit: unknown = 10): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidParameterError("limit", "Invalid value for 'limit': expected an integer between 1 and 1000");
  }
  return limit;
}

/** A zod issue path segment as a string or number. */
export function pathKey(segment: PropertyKey): string | number {
  return typeof segment === "number" ? segment : String(segment);
}

/**
 * Where a read may be answered, and what it must have seen (every read call takes these beside `user`).
 *
 * @example
 * ```ts
 * const consistencyToken = await store.consistencyToken(); // on the instance that wrote; sent to the client
 * await store.getResponseObject("resp_1", { user, consistencyToken }); // on any instance: never older than the token
 * await store.listResponses({ user, readFrom: "primary" });
 * ```
 */
export interface ReadOptions {
  /** A token from `consistencyToken()` of any instance on this database: the read sees every write it covers. */
  consistencyToken?: string | null;
  /** `"primary"`: answered by the primary, never by a replica. @default "any" */
  readFrom?: "primary" | "any" | null;
}

/** A read's routing, parsed from its ReadOptions. */
export interface ReadRoute {
  /** Answered by the primary only. */
  primary: boolean;
  /** The database the token was made on, and the primary's position it covers (undefined: unknown, read the primary). */
  token?: { database: string; position: bigint | undefined };
}

/** Reads that may go anywhere and need nothing. */
export const ANY_READ: ReadRoute = { primary: false };

const TOKEN = /^ors1\.([0-9a-f]{16})\.(-|[0-9a-f]{1,16})$/;

const invalid = (message: string) => new ValidationError("consistencyToken", [{ path: [], message }]);

/**
 * The routing a read's options ask for.
 *
 * @throws ValidationError (`consistencyToken`) for a token that is not one, or a bad `readFrom`.
 */
export function parseReadOptions(options: { consistencyToken?: unknown; readFrom?: unknown }): ReadRoute {
  const { consistencyToken, readFrom } = options;
  if (readFrom !== undefined && readFrom !== null && readFrom !== "primary" && readFrom !== "any") {
    throw new ValidationError("readFrom", [{ path: [], message: 'readFrom must be "primary" or "any"' }]);
  }
  const primary = readFrom === "primary";
  if (consistencyToken === undefined || consistencyToken === null || consistencyToken === "") return primary ? { primary } : ANY_READ;
  if (typeof consistencyToken !== "string") throw invalid("a consistency token is a string from consistencyToken()");
  const match = TOKEN.exec(consistencyToken);
  if (!match) throw invalid("not a consistency token (garbled, or from another library)");
  const position = match[2] === "-" ? undefined : BigInt(`0x${match[2]}`);
  return { primary, token: { database: match[1]!, position } };
}
