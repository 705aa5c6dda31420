/**
 * zod schema of a chat-completion message (the SDK's `ChatCompletionMessageParam`).
 *
 * The messages of a turn's last inference call, stored so the next turn can resume without
 * converting Responses input back to chat messages.
 */
import { z } from "zod";
import { nullableString } from "./common.js";

const part = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.array(part)]);

const byRole = {
  system: z.looseObject({ role: z.literal("system"), content, name: nullableString }),
  developer: z.looseObject({ role: z.literal("developer"), content, name: nullableString }),
  user: z.looseObject({ role: z.literal("user"), content, name: nullableString }),
  assistant: z.looseObject({
    role: z.literal("assistant"),
    content: content.nullish(),
    name: nullableString,
    tool_calls: z.array(z.looseObject({ type: z.string().optional(), id: nullableString })).nullish(),
  }),
  tool: z.looseObject({ role: z.literal("tool"), tool_call_id: z.string(), content }),
  function: z.looseObject({ role: z.literal("function"), name: z.string(), content: z.string().nullable() }),
};

/**
 * One chat-completion message, discriminated by `role`; unknown fields are kept.
 *
 * @example
 * ```ts
 * chatCompletionMessageSchema.parse({ role: "tool", tool_call_id: "call_1", content: "42" });
 * ```
 */
export const chatCompletionMessageSchema = z.discriminatedUnion("role", [
  byRole.system,
  byRole.developer,
  byRole.user,
  byRole.assistant,
  byRole.tool,
  byRole.function,
]);

/**
 * A chat-completion message; the SDK's `ChatCompletionMessageParam` fits.
 *
 * @example
 * ```ts
 * const messages: ChatCompletionMessage[] = [{ role: "user", content: "Hello" }, { role: "assistant", content: "Hi!" }];
 * await store.storeResponseObject(response, input, messages);
 * ```
 */
export type ChatCompletionMessage = z.input<typeof chatCompletionMessageSchema>;
