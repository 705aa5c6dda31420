/**
 * The response of a benchmark conversation's turn: a completed answer of `answer`'s text, continuing `previous`.
 */
import type { ResponseObject } from "../src/index.js";

/** Turn `t`'s response with id `id`, continuing `previous`, answering `answer`. */
export function turnResponse(id: string, t: number, previous: string | null, answer: string): ResponseObject {
  return {
    id,
    object: "response",
    created_at: 1_732_406_400 + t,
    model: "gpt-4o",
    status: "completed",
    previous_response_id: previous,
    output: [
      {
        type: "message",
        id: `msg_out_${t}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: answer, annotations: [] }],
      },
    ],
    usage: { input_tokens: 100, output_tokens: 300, total_tokens: 400 },
  };
}
