// A second process resuming an Agents SDK session: runs one more turn on the session id it is
// given (argv: url, session id, question) and prints, as JSON, the history the model was sent.
import { Agent, run } from "@openai/agents";
import { createResponsesStore } from "../../src/index.js";
import { ResponsesStoreSession } from "../../src/agents/index.js";
import { ScriptedModel } from "./scripted-model.js";

const [url, sessionId, question] = process.argv.slice(2) as [string, string, string];
const store = await createResponsesStore({ url, logger: { debug() {}, info() {}, warn() {}, error() {} } });
try {
  const model = new ScriptedModel("resumed");
  const session = new ResponsesStoreSession({ store, sessionId, user: { principal: "alice" } });
  await run(new Agent({ name: "Assistant", model }), question, { session });
  console.log(JSON.stringify(model.seen[0]));
} finally {
  await store.shutdown();
}
