/** Durations as the CLI and the `retention` option take them: "30d", "12h", "90m", "45s", "2w", "0.5s". */
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Milliseconds in a duration like "30d" (a number, then one of s, m, h, d, w); throws a readable error otherwise.
 *
 * @example
 * ```ts
 * parseDuration("12h"); // 43_200_000
 * ```
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new Error(`Invalid duration ${JSON.stringify(text)}: use a number and a unit, e.g. 30d, 12h, 90m, 45s, 2w`);
  return Number(m[1]) * UNITS[m[2]!]!;
}
