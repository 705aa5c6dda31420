// A scripted model for the Agents SDK (its Model interface, no network): answers turn n with
// "answer n", and remembers the input of every call, so a test sees the history the runner sent.
import { Usage, type Model, type ModelRequest, type ModelResponse } from "@openai/agents";

export class ScriptedModel implements Model {
  readonly seen: unknown[][] = [];

  constructor(private readonly prefix = "answer") {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const input = typeof request.input === "string" ? [{ role: "user", content: request.input }] : request.input;
    this.seen.push(structuredClone(input));
    const n = this.seen.length;
    return {
      usage: new Usage(),
      output: [
        {
          type: "message",
          id: `msg_${this.prefix}_${n}_${process.pid}`,
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: `${this.prefix} ${n}` }],
        },
      ],
    };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("the scripted model does not stream");
  }
}

/** The texts of a history's messages, in order (user questions and assistant answers). */
export function texts(items: readonly unknown[]): string[] {
  return items.flatMap((item) => {
    const content = (item as { content?: unknown }).content;
    if (typeof content === "string") return [content];
    if (Array.isArray(content)) return content.map((part) => String((part as { text?: unknown }).text));
    return [];
  });
}
