// A separate process that stores `count` responses into a SQLite file (for the multi-process
// test): node --import tsx test/support/sqlite-writer.ts <url> <prefix> <count>
import { createResponsesStore } from "../../src/index.js";

const [url, prefix, count] = process.argv.slice(2);
const store = await createResponsesStore({ url: url! });
let failed = 0;
await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    store
      .storeResponseObject(
        { id: `${prefix}_${i}`, object: "response", created_at: 1000 + (i % 5), model: "m", output: [], status: "completed" },
        [{ type: "message", role: "user", content: "x".repeat(2000), id: `m_${i}` }],
      )
      .catch((error: unknown) => {
        failed++;
        console.error(String(error));
      }),
  ),
);
await store.shutdown();
process.exit(failed ? 1 : 0);
