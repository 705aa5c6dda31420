/**
 * Runs a benchmark script once per database under test, each in a process of its own, and prints their rows as one table.
 *
 * The script, started with BENCH_ONLY_PROVIDER set, prints its rows (measure, value, goal) as one
 * JSON line last; this runs it for each provider in turn and prints the rows under a header.
 */
import { execFileSync } from "node:child_process";
import { PROVIDERS } from "../test/support/databases.js";

/** A row a benchmark prints: what it measured, the value, the goal and whether it was met. */
export type Row = [measure: string, value: string, goal: string];

/** Runs `script` (this process's own file) for each provider and prints the rows as one table. */
export function printPerProvider(script: string): void {
  const table: string[][] = [["database", "measure", "value", "goal"]];
  for (const provider of PROVIDERS) {
    const out = execFileSync(process.execPath, [...process.execArgv, script], {
      env: { ...process.env, BENCH_ONLY_PROVIDER: provider.name },
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    for (const row of JSON.parse(out.trim().split("\n").at(-1)!) as Row[]) table.push([provider.label, ...row]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const [i, r] of table.entries()) {
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}
