/**
 * Stored arguments, checked: responses, input items, messages and conversation ids against their schemas and a JSON round trip.
 *
 * A failure is a ValidationError naming the argument and each issue's path; nothing is written.
 */
import { z } from "zod";
import { ValidationError } from "../errors.js";
import { keyString } from "./common.js";
import { inputItemSchema } from "./input-item.js";
import { MAX_STORED_DEPTH, checkJsonValue } from "./json.js";
import { chatCompletionMessageSchema } from "./message.js";
import { pathKey } from "./params.js";
import { responseObjectSchema } from "./response.js";

/** The largest sequence number an event may have (the column is a 32-bit integer on every engine). */
export const MAX_SEQUENCE_NUMBER = 2_147_483_647;

/** Each stored argument's schema. */
const SCHEMAS = {
  conversation_id: keyString("conversation_id"),
  response: responseObjectSchema,
  input: z.array(inputItemSchema),
  messages: z.array(chatCompletionMessageSchema),
  // An Agents SDK session's items: the SDK's own shapes, so objects of JSON and nothing more.
  items: z.array(z.looseObject({})),
  // A response's streaming events, in order: each names its type and sequence number.
  events: z
    .array(z.looseObject({ type: z.string().min(1).max(200), sequence_number: z.number().int().min(0).max(MAX_SEQUENCE_NUMBER) }))
    .min(1)
    .max(1000),
} as const satisfies Record<string, z.ZodType>;

/** A stored argument's name, as ValidationError reports it. */
export type StoredArgument = keyof typeof SCHEMAS;

/**
 * How many levels each argument may open in the stored response (MAX_STORED_DEPTH): the response
 * is level 1; `input` and `messages` are arrays at level 2, their items at 3.
 */
const LEVELS: Record<StoredArgument, number> = {
  conversation_id: 1,
  response: MAX_STORED_DEPTH,
  input: MAX_STORED_DEPTH - 1,
  messages: MAX_STORED_DEPTH - 1,
  items: MAX_STORED_DEPTH - 1,
  events: MAX_STORED_DEPTH - 1,
};

/** Each schema, plus the check that the value round-trips through JSON unchanged, within its levels. */
const JSON_SAFE = new Map<StoredArgument, z.ZodType>(
  (Object.keys(SCHEMAS) as StoredArgument[]).map((name) => [
    name,
    SCHEMAS[name].superRefine((v, ctx) => void checkJsonValue(v, ctx, LEVELS[name])),
  ]),
);

/**
 * Validates an argument; of an array, only the items from `from` on (the ones before were
 * validated already), with issue paths still counted from the array's start.
 *
 * @throws ValidationError naming the argument and each issue.
 */
export function validate(argument: StoredArgument, value: unknown, from = 0): void {
  const checked = from > 0 && Array.isArray(value) ? value.slice(from) : value;
  const offset = checked === value ? 0 : from;
  const result = JSON_SAFE.get(argument)!.safeParse(checked);
  if (!result.success) {
    throw new ValidationError(
      argument,
      result.error.issues.map((i) => ({
        path: i.path.map((key, n) => pathKey(n === 0 && typeof key === "number" ? key + offset : key)),
        message: i.message,
      })),
    );
  }
}
