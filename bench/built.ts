/**
 * The built package (dist/), as users run it, typed by its source: the benchmarks measure what
 * ships. `npm run bench` builds first; the path is computed so that type-checking a fresh clone
 * (no dist/ yet) does not need it.
 */
import type * as Built from "../src/index.js";

const entry = new URL("../dist/index.js", import.meta.url).href;
export const built = (await import(entry)) as typeof Built;
