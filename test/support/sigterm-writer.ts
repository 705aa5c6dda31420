// A server-like process: wires shutdown to SIGTERM, fires writes without awaiting them, then
// receives SIGTERM. node --import tsx test/support/sigterm-writer.ts <url> <count>
import { createResponsesStore, shutdownOnSignals } from "../../src/index.js";

const [url, count] = process.argv.slice(2);
const store = await createResponsesStore({ url: url!, queue: { enabled: true, concurrency: 1, batchSize: 10 } });
shutdownOnSignals(store);
for (let i = 0; i < Number(count); i++) {
  void store.storeResponseObject({ id: `resp_sig_${i}`, object: "response", created_at: i, model: "m", output: [] }, []);
}
process.kill(process.pid, "SIGTERM");
setInterval(() => {}, 1000); // stays alive until the handler exits
