/**
 * A short tour on the embedded SQLite default (or DATABASE_URL): stores a few responses for two
 * users, pages through them, reads one back with its input and chat messages, and pages its
 * input items. Run with `npm run demo`; running it again replaces the same responses.
 */
import { createResponsesStore, isResponsesStoreError } from "../src/index.js";
import { DEMO_USERS, storeDemoResponses } from "../src/cli/demo-data.js";

const { alice, bob } = DEMO_USERS;
const store = await createResponsesStore(); // DATABASE_URL, else file:./responses.db
console.log(`Using ${store.provider} (${process.env.DATABASE_URL ?? "file:./responses.db"})\n`);

// Five turns for alice, two sharing one created_at second, and one for bob.
await storeDemoResponses(store);

console.log("alice pages through her responses, 2 at a time (newest first):");
let after: string | undefined;
let pageNo = 1;
do {
  const page = await store.listResponses({ user: alice, limit: 2, after });
  console.log(`  page ${pageNo++}: ${page.data.map((r) => `${r.id} (created_at ${r.created_at})`).join(", ")}  has_more=${page.has_more}`);
  after = page.has_more ? page.last_id! : undefined;
} while (after);

const stored = await store.getResponseObject("resp_demo_alice_3", { user: alice });
console.log(
  `\nresp_demo_alice_3: ${stored.input.length} input items, ${stored.messages?.length ?? 0} chat message(s), status ${stored.status}`,
);

const items = await store.listResponseInputItems("resp_demo_alice_3", { user: alice, order: "asc", limit: 1 });
console.log(`its first input item: ${JSON.stringify(items.data[0])} (has_more=${items.has_more})`);

try {
  await store.getResponseObject("resp_demo_alice_3", { user: bob });
} catch (error) {
  if (isResponsesStoreError(error, "RESPONSE_NOT_FOUND")) console.log(`\nbob asking for it: ${error.message}`);
  else throw error;
}

await store.shutdown();
console.log("\nDone. Open the table with: npm run studio");
