#!/usr/bin/env node
// `npm run build`: the ESM build with its declarations (tsc, into dist/), then the same modules
// as CommonJS (esbuild, into dist/cjs/, which a package.json of its own marks "commonjs"), with
// the declarations copied beside them, so TypeScript's node16 and node10 resolution see CommonJS
// types for `require`. The CLI stays ESM only (a bin is never required). No source maps: src/ is
// not shipped, so they would point nowhere.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const cjs = join(dist, "cjs");

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});

/** Every .ts file under `dir`, but generated clients and the CLI. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ["generated", "cli"].includes(entry.name) ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

await build({
  entryPoints: sources(join(root, "src")),
  outdir: cjs,
  outbase: join(root, "src"),
  format: "cjs",
  platform: "node",
  target: "node20",
  bundle: false,
  logLevel: "warning",
  // import.meta.url (the migrations' folder is found from it) is the module's own file URL.
  define: { "import.meta.url": "__moduleUrl" },
  banner: { js: 'const __moduleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
writeFileSync(join(cjs, "package.json"), '{ "type": "commonjs" }\n');
for (const file of readdirSync(dist, { recursive: true })) {
  if (!file.endsWith(".d.ts") || file.startsWith("cjs") || file.startsWith("cli")) continue;
  mkdirSync(dirname(join(cjs, file)), { recursive: true });
  cpSync(join(dist, file), join(cjs, file));
}
console.log(`built ${relative(root, dist)}/ (ESM) and ${relative(root, cjs)}/ (CommonJS)`);
