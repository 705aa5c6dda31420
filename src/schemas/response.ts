/**
 * zod schema of a Responses API response object, compatible with the official SDK's `Response`.
 *
 * The fields every stored response needs are checked, unknown fields kept.
 */
import { z } from "zod";
import { keyString, nullableString } from "./common.js";

const outputItem = z.looseObject({ type: z.string(), id: nullableString });

/**
 * A response object to store (`object: "response"`). `id`, `created_at` (unix seconds),
 * `model` and `output` are required; `status`, `error`, `metadata` and `previous_response_id`
 * are checked when present; every other field is stored as given.
 *
 * @example
 * ```ts
 * responseObjectSchema.parse({
 *   id: "resp_1", object: "response", created_at: 1732406400, model: "gpt-4o",
 *   status: "completed", output: [],
 * });
 * ```
 */
export const responseObjectSchema = z
  .looseObject({
    id: keyString("id"),
    object: z.literal("response"),
    // Below 1e11 (the year 5138): a larger value is milliseconds (Date.now()), which retention
    // would never reach, so it is refused rather than stored as seconds.
    created_at: z
      .number()
      .int("created_at must be whole unix seconds")
      .min(0)
      .max(99_999_999_999, "created_at must be unix seconds; this looks like milliseconds (Date.now()): divide by 1000"),
    model: keyString("model"),
    output: z.array(outputItem),
    status: nullableString,
    previous_response_id: nullableString,
    error: z.looseObject({ code: z.string().nullish(), message: z.string() }).nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    // The conversation the turn belongs to: its id, or { id } as the SDK's Response has it.
    conversation: z.union([keyString("conversation"), z.looseObject({ id: keyString("conversation.id") })]).nullish(),
  })
  .refine((r) => !(r.conversation && r.previous_response_id), {
    error: "previous_response_id and conversation cannot be used together",
    path: ["conversation"],
  });

/** The conversation a response names (`conversation: "conv_1"` or `{ id: "conv_1" }`), if any. */
export function conversationOf(response: { conversation?: unknown }): string | undefined {
  const c = response.conversation;
  if (typeof c === "string") return c;
  if (c && typeof c === "object" && typeof (c as { id?: unknown }).id === "string") return (c as { id: string }).id;
  return undefined;
}

/**
 * A response object as accepted by `storeResponseObject`; the SDK's `Response` fits.
 *
 * @example
 * ```ts
 * const response: ResponseObject = { id: "resp_1", object: "response", created_at: 1_700_000_000, model: "gpt-4o", output: [] };
 * await store.storeResponseObject(response, []);
 * ```
 */
export type ResponseObject = z.input<typeof responseObjectSchema>;
