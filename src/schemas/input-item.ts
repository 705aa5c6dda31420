/**
 * zod schema of a Responses API input item (also used for output items).
 *
 * The item types the official `openai` SDK and llama-stack know are checked for their required
 * fields; every other type, and every unknown field, is kept as given.
 */
import { z } from "zod";
import { nullableString } from "./common.js";

const contentPart = z.looseObject({ type: z.string() });

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart)]),
  id: nullableString,
  status: nullableString,
});

const functionCall = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  id: nullableString,
});

const functionCallOutput = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string(),
  output: z.union([z.string(), z.array(contentPart)]),
  id: nullableString,
});

const withId = (type: string, shape: z.core.$ZodLooseShape = {}) => z.looseObject({ type: z.literal(type), id: z.string(), ...shape });

/** Required fields per item type; a type not listed here is accepted as a loose object. */
const itemSchemas: Record<string, z.ZodType> = {
  message: messageItem,
  function_call: functionCall,
  function_call_output: functionCallOutput,
  file_search_call: withId("file_search_call", { queries: z.array(z.string()), status: z.string() }),
  web_search_call: withId("web_search_call", { status: z.string() }),
  mcp_call: withId("mcp_call", { name: z.string(), arguments: z.string(), server_label: z.string() }),
  mcp_list_tools: withId("mcp_list_tools", { server_label: z.string(), tools: z.array(z.looseObject({})) }),
  mcp_approval_request: withId("mcp_approval_request", { name: z.string(), arguments: z.string(), server_label: z.string() }),
  mcp_approval_response: z.looseObject({
    type: z.literal("mcp_approval_response"),
    approval_request_id: z.string(),
    approve: z.boolean(),
    id: nullableString,
  }),
  reasoning: withId("reasoning", { summary: z.array(contentPart) }),
  compaction: z.looseObject({ type: z.literal("compaction"), id: nullableString }),
  item_reference: z.looseObject({ type: z.literal("item_reference").nullish(), id: z.string() }),
};

/**
 * One input item of a response: a message (`type` may be left out, as in requests), a tool call
 * or its output, reasoning, compaction, an item reference (`type` may be left out or null, as
 * the SDK's `ItemReference` has it), or any newer item type. Unknown fields are kept.
 *
 * @example
 * ```ts
 * inputItemSchema.parse({ type: "message", role: "user", content: "hi", id: "msg_1" });
 * ```
 */
export const inputItemSchema = z.looseObject({ type: nullableString, id: nullableString }).superRefine((item, ctx) => {
  // No type: a message, as in requests, unless it is only a reference to an item by id.
  const type = item.type ?? (!("role" in item) && typeof item.id === "string" ? "item_reference" : "message");
  // Own keys only: an item typed "constructor" or "__proto__" is an unknown type, kept as given.
  const schema = Object.hasOwn(itemSchemas, type) ? itemSchemas[type] : undefined;
  if (!schema) return;
  const result = schema.safeParse(item);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  }
});

/**
 * An input item as stored and returned: the SDK's `ResponseInputItem`/`ResponseItem` objects
 * fit, with their own fields kept.
 *
 * @example
 * ```ts
 * const item: InputItem = { type: "message", role: "user", content: "Hello" };
 * await store.storeResponseObject(response, [item]);
 * ```
 */
export type InputItem = z.input<typeof inputItemSchema>;
