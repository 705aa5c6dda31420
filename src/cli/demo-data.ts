/**
 * The sample conversation `npm run demo` and `responses-store serve --demo` store.
 *
 * The sample conversation that `npm run demo` and `responses-store serve --demo` store: five turns
 * for alice (two sharing one created_at second) and one for bob. Storing it again replaces the
 * same responses.
 */
import type { ResponsesStore } from "../store.js";
import type { ResponseObject } from "../schemas/response.js";

/** The owners of the sample rows. */
export const DEMO_USERS = { alice: { principal: "alice" }, bob: { principal: "bob" } } as const;

function response(id: string, createdAt: number, text: string): ResponseObject {
  return {
    id,
    object: "response",
    created_at: createdAt,
    model: "gpt-4o-mini",
    status: "completed",
    output: [
      {
        type: "message",
        id: `msg_out_${id}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text, annotations: [] }],
      },
    ],
  };
}

/**
 * Stores the sample responses (6 rows) and returns their ids.
 *
 * @example
 * ```ts
 * await storeDemoResponses(store); // resp_demo_alice_1..5, resp_demo_bob_1
 * ```
 */
export async function storeDemoResponses(store: ResponsesStore, now = Math.floor(Date.now() / 1000)): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const id = `resp_demo_alice_${i}`;
    await store.storeResponseObject(
      response(id, now - 10 + Math.min(i, 4), `Answer ${i}`),
      [
        { type: "message", role: "user", id: `msg_${i}_a`, content: [{ type: "input_text", text: `Question ${i}` }] },
        { type: "message", role: "user", id: `msg_${i}_b`, content: [{ type: "input_text", text: `Follow-up ${i}` }] },
      ],
      [{ role: "user", content: `Question ${i}` }],
      { user: DEMO_USERS.alice },
    );
    ids.push(id);
  }
  await store.storeResponseObject(response("resp_demo_bob_1", now, "Bob's answer"), [], [], { user: DEMO_USERS.bob });
  ids.push("resp_demo_bob_1");
  return ids;
}
