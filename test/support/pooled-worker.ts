// A process that starts a store (migrations included) on argv[2] (with argv[3] as directUrl
// when given), stores 40 responses through the write queue, reads each back and lists them,
// then shuts down. Prints "ok <n>"; exits 1 with the error otherwise. Used by
// test/db/poolers-and-schemas.test.ts, several at once.
import { createResponsesStore, type ResponseObject } from "../../src/index.js";

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
const makeResponse = ({ id }: { id: string }): ResponseObject => ({
  id,
  object: "response",
  created_at: 1_732_406_400,
  model: "gpt-4o",
  status: "completed",
  output: [],
});
const userMessage = (id: string) => ({
  type: "message" as const,
  role: "user" as const,
  id,
  content: [{ type: "input_text", text: `text of ${id}` }],
});

const [url, directUrl] = process.argv.slice(2);
const tag = `w${process.pid}`;
try {
  const store = await createResponsesStore({ url: url!, ...(directUrl ? { directUrl } : {}), logger: silentLogger });
  const user = { principal: tag };
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      store.storeResponseObject(makeResponse({ id: `resp_${tag}_${i}` }), [userMessage(`m${i}`)], [], { user }),
    ),
  );
  for (let i = 0; i < 40; i++) {
    const got = await store.getResponseObject(`resp_${tag}_${i}`, { user });
    if (got.input[0]?.id !== `m${i}`) throw new Error(`read back the wrong input for resp_${tag}_${i}`);
  }
  const page = await store.listResponses({ user, limit: 100 });
  if (page.data.length !== 40) throw new Error(`listed ${page.data.length} of 40`);
  await store.shutdown();
  console.log(`ok ${page.data.length}`);
} catch (error) {
  console.error(error);
  process.exit(1);
}
