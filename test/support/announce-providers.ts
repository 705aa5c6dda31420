// Vitest global setup: says out loud which providers this run covers and which it skips, before
// the run and again when it ends (where a long run's first lines have scrolled away).
import { PROVIDERS, SKIPPED } from "./databases.js";

function announce(when: string): void {
  console.log(`${when}: database providers under test: ${PROVIDERS.map((p) => p.label).join(", ")}`);
  if (SKIPPED.length) console.log(`${when}: SKIPPED providers: ${SKIPPED.join("; ")}`);
}

export default function announceProviders(): () => void {
  announce("Starting");
  return () => announce("Finished");
}
