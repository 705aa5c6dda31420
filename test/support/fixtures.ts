/** Builders for responses, input items and messages, and a per-test store on a fresh database. */
import { afterEach } from "vitest";
import { createResponsesStore, type ListResponsesParams, type ResponsesStore, type ResponsesStoreOptions } from "../../src/index.js";
import type { InputItem } from "../../src/schemas/input-item.js";
import type { ResponseObject } from "../../src/schemas/response.js";
import { freshDatabase, type FreshDatabase, type TestProvider } from "./databases.js";

/** A completed response as the official SDK returns it, with `overrides` applied. */
export function makeResponse(overrides: Partial<ResponseObject> & { id: string }): ResponseObject {
  return {
    object: "response",
    created_at: 1_732_406_400,
    model: "gpt-4o",
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    store: true,
    output: [
      {
        type: "message",
        id: `msg_out_${overrides.id}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Hello!", annotations: [], logprobs: [] }],
      },
    ],
    usage: {
      input_tokens: 5,
      output_tokens: 2,
      total_tokens: 7,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    },
    ...overrides,
  };
}

/** A user message input item. */
export function userMessage(id: string | null, text = `text of ${id}`): InputItem {
  return { type: "message", role: "user", id, content: [{ type: "input_text", text }] };
}

/** Input items with ids `${prefix}1..n`. */
export function inputItems(n: number, prefix = "msg_"): InputItem[] {
  return Array.from({ length: n }, (_, i) => userMessage(`${prefix}${i + 1}`));
}

/** One turn of a conversation: the response, and the whole input and messages it was given. */
export interface Turn {
  response: ResponseObject;
  input: InputItem[];
  messages: { role: "user" | "assistant"; content: string }[];
}

/**
 * A conversation of `turns` turns continued with previous_response_id, ids `${prefix}1..n`:
 * each turn's input is the previous turn's input and output and one new user message, its
 * messages the previous ones and one user and assistant message. `text(t)` is the user's text.
 */
export function chainTurns(
  prefix: string,
  turns: number,
  createdAt = 1_732_406_400,
  text: (t: number) => string = (t) => `question ${t}`,
  answer: (t: number) => string = (t) => `answer ${t}`,
): Turn[] {
  const out: Turn[] = [];
  let input: InputItem[] = [];
  let messages: Turn["messages"] = [];
  let previous: string | null = null;
  for (let t = 1; t <= turns; t++) {
    input = [...input, userMessage(`${prefix}_in${t}`, text(t))];
    messages = [...messages, { role: "user", content: text(t) }];
    const response = makeResponse({
      id: `${prefix}${t}`,
      created_at: createdAt + t,
      previous_response_id: previous,
      output: [
        {
          type: "message",
          id: `${prefix}_out${t}`,
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: answer(t), annotations: [], logprobs: [] }],
        },
      ],
    });
    out.push({ response, input, messages });
    input = [...input, ...(response.output as InputItem[])];
    messages = [...messages, { role: "assistant", content: answer(t) }];
    previous = response.id;
  }
  return out;
}

export const alice = { principal: "alice", attributes: { roles: ["user"] } };
export const bob = { principal: "bob", attributes: { roles: ["user"] } };

/**
 * Opens stores on a fresh database of `provider` for the current test; everything is shut down
 * and dropped after it.
 */
export function storeFactory(provider: TestProvider) {
  let db: FreshDatabase | undefined;
  const opened: ResponsesStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.shutdown()));
    await db?.drop();
    db = undefined;
  });
  return {
    /** The URL of this test's database (created on first use). */
    async url(): Promise<string> {
      db ??= await freshDatabase(provider);
      return db.url;
    },
    /** A new initialized store on this test's database. */
    async open(options: ResponsesStoreOptions = {}): Promise<ResponsesStore> {
      const store = await createResponsesStore({ url: await this.url(), logger: silentLogger, ...options });
      opened.push(store);
      return store;
    },
  };
}

/** Every id `store` lists for the given parameters, following `after = last_id` to the end. */
export async function listAllIds(store: Pick<ResponsesStore, "listResponses">, params: ListResponsesParams = {}): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 100_000; guard++) {
    const page = await store.listResponses({ limit: 100, ...params, after });
    ids.push(...page.data.map((r) => r.id));
    if (!page.has_more) return ids;
    after = page.last_id!;
  }
  throw new Error("pagination did not end");
}

/** A logger that drops everything (failures the tests provoke on purpose would drown the output). */
export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Compares ids as the databases do: by UTF-8 bytes. */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
