// Vitest global setup: says out loud which providers this run covers and which it skips.
import { PROVIDERS, SKIPPED } from "./databases.js";

export default function announceProviders(): void {
  console.log(`Database providers under test: ${PROVIDERS.map((p) => p.label).join(", ")}`);
  if (SKIPPED.length) console.log(`SKIPPED providers: ${SKIPPED.join("; ")}`);
}
