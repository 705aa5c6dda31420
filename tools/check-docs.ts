/**
 * Checks the documentation habits `npm run lint` enforces: every source file opens with a one-line summary, every public export and public method carries an `@example`, and every `@example` type-checks.
 *
 * - Headers: the first line of each hand-written file in src/ is a `/** ... *\/` comment whose
 *   first sentence ends on that line.
 * - Examples: every export of the entry points (".", "./next", "./nest", "./openai"), and every public
 *   method and accessor of an exported class (inherited ones included), has TSDoc with `@example`.
 * - Compiled: each fenced ts block under `@example` anywhere in src/ is compiled in a module of
 *   its own that imports every public export and its own file's exports, with the names examples
 *   share (`store`, `user`, `response`, ...) declared; it must type-check under the project's tsconfig.
 *
 * Usage: tsx tools/check-docs.ts (exit 1 with a list of problems).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRIES = ["src/index.ts", "src/next/index.ts", "src/nest/index.ts", "src/openai.ts", "src/agents/index.ts"].map((f) =>
  join(root, f),
);
const OUT = join(root, "node_modules", ".cache", "doc-examples");

/** What examples may use without declaring it: the names the docs share. */
const PRELUDE = `
declare const store: ResponsesStore;
declare const user: User;
declare const alice: User;
declare const bob: User;
declare const guest: User;
declare const response: ResponseObject;
declare const resp: ResponseObject;
declare const turn1: ResponseObject;
declare const turn2: ResponseObject;
declare const input: InputItem[];
declare const newInput: InputItem[];
declare const turn1Input: InputItem[];
declare const question: InputItem;
declare const questionMessage: ChatCompletionMessage;
declare const output: ResponseObject["output"];
declare const messages: ChatCompletionMessage[];
declare const history: ChatCompletionMessage[];
declare const answer: ChatCompletionMessage;
declare const records: ImportRecord[];
declare const error: unknown;
declare const url: string;
declare const hostPool: import("pg").Pool;
declare const prisma: PrismaClientLike; // a host's generated PrismaClient
declare function notFound(): never;
declare function scheduleRetry(): void;
declare function verify(authorization: string | null): string;
declare function authenticate(request: Request): User | null;
declare const app: import("@nestjs/common").INestApplication;
declare const session: ResponsesStoreSession;
declare const items: import("@openai/agents-core").AgentInputItem[];
declare const transaction: import("@openai/agents-core").SessionHistoryTransaction;
`;

const problems: string[] = [];
const rel = (file: string) => relative(root, file);

const config = ts.getParsedCommandLineOfConfigFile(
  join(root, "tsconfig.json"),
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
);
if (!config) throw new Error("tsconfig.json does not parse");
const sourceFiles = config.fileNames.filter((f) => f.startsWith(join(root, "src")) && !f.includes("/db/generated/"));
const program = ts.createProgram(sourceFiles, { ...config.options, noEmit: true });
const checker = program.getTypeChecker();

// ---- headers
for (const file of sourceFiles) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (lines[0]?.startsWith("#!")) lines.shift();
  const first = lines[0] ?? "";
  const summary = first.startsWith("/**") && first.trim() !== "/**" ? first : lines[1];
  const oneLine =
    first.startsWith("/**") &&
    summary !== undefined &&
    /[.:)]( \*\/)?$/.test(summary.trim()) &&
    (summary === first
      ? first.trim().endsWith("*/") || /^ \*( |$)|^ \*\/$/.test(lines[1] ?? "")
      : /^ \*\/?$/.test(lines[2]?.trimEnd() ?? ""));
  if (!oneLine) problems.push(`${rel(file)}:1 does not open with a one-line summary comment`);
}

// ---- @example on public exports and members
const hasExample = (declarations: readonly ts.Declaration[] | undefined) =>
  (declarations ?? []).some((d) => ts.getJSDocTags(d).some((t) => t.tagName.text === "example"));
const where = (d: ts.Declaration | undefined) => {
  if (!d) return "(unknown)";
  const sf = d.getSourceFile();
  return `${rel(sf.fileName)}:${sf.getLineAndCharacterOfPosition(d.getStart()).line + 1}`;
};
const seen = new Set<ts.Symbol>();
for (const entry of ENTRIES) {
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (seen.has(symbol)) continue;
    seen.add(symbol);
    if (!hasExample(symbol.declarations)) problems.push(`${where(symbol.declarations?.[0])} export ${exported.name} has no @example`);
    const cls = symbol.declarations?.find(ts.isClassDeclaration);
    if (!cls || /Error$/.test(symbol.name)) continue; // error classes: an example each, their fields are data
    const instance = checker.getDeclaredTypeOfSymbol(symbol);
    for (const member of checker.getPropertiesOfType(instance)) {
      const decls = member.declarations ?? [];
      const d = decls[0];
      if (!d || member.name.startsWith("#") || member.name.startsWith("__#")) continue;
      if (!d.getSourceFile().fileName.startsWith(join(root, "src"))) continue;
      const modifiers = ts.getCombinedModifierFlags(d);
      if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      const callable = decls.some((x) => ts.isMethodDeclaration(x) || ts.isGetAccessorDeclaration(x));
      if (callable && !hasExample(decls)) problems.push(`${where(d)} ${symbol.name}.${member.name} has no @example`);
    }
    const ctor = cls.members.find(ts.isConstructorDeclaration);
    if (ctor && ts.getJSDocTags(ctor).length === 0 && ts.getJSDocCommentsAndTags(ctor).length === 0) {
      problems.push(`${where(ctor)} ${symbol.name}'s constructor has no TSDoc`);
    }
  }
}

// ---- compile every example
const publicValues = new Map<string, string>(); // name -> entry module
const publicTypes = new Map<string, string>();
for (const entry of ENTRIES) {
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  for (const exported of checker.getExportsOfModule(module)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    // A class exported with `export type` is a type to importers (they never construct it).
    const specifier = exported.declarations?.find(ts.isExportSpecifier);
    const typeOnly = specifier !== undefined && (specifier.isTypeOnly || specifier.parent.parent.isTypeOnly);
    const map = target.flags & ts.SymbolFlags.Value && !typeOnly ? publicValues : publicTypes;
    if (!publicValues.has(exported.name) && !publicTypes.has(exported.name)) map.set(exported.name, entry);
  }
}
const specifier = (from: string, file: string) => {
  const path = relative(from, file).replace(/\.ts$/, ".js");
  return path.startsWith(".") ? path : `./${path}`;
};
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const examples: { file: string; origin: string }[] = [];
for (const sf of program.getSourceFiles()) {
  if (!sourceFiles.includes(sf.fileName)) continue;
  const own = checker.getSymbolAtLocation(sf);
  const ownExports = (own ? checker.getExportsOfModule(own) : [])
    .filter((s) => s.name !== "default" && !publicValues.has(s.name) && !publicTypes.has(s.name))
    .map((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return target.flags & ts.SymbolFlags.Value ? s.name : `type ${s.name}`;
    });
  const visit = (node: ts.Node) => {
    for (const tag of ts.getJSDocTags(node)) {
      if (tag.tagName.text !== "example") continue;
      const comment = typeof tag.comment === "string" ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? "");
      for (const match of comment.matchAll(/```ts\n([\s\S]*?)```/g)) {
        const line = sf.getLineAndCharacterOfPosition(tag.getStart()).line + 1;
        const origin = `${rel(sf.fileName)}:${line}`;
        const code = match[1]!.replace(/^\s*\* ?/gm, "");
        const hoisted = code.match(/^import .*$/gm) ?? [];
        const body = code.replace(/^import .*$/gm, "").replace(/^export /gm, "");
        const file = join(OUT, `example-${examples.length}.ts`);
        const header = [
          `// ${origin}`,
          ...hoisted,
          ...[...new Set([...publicValues.values(), ...publicTypes.values()])].map((entry) => {
            const values = [...publicValues].filter(([, e]) => e === entry).map(([n]) => n);
            const types = [...publicTypes].filter(([, e]) => e === entry).map(([n]) => `type ${n}`);
            return `import { ${[...values, ...types].join(", ")} } from "${specifier(OUT, entry)}";`;
          }),
          ownExports.length ? `import { ${ownExports.join(", ")} } from "${specifier(OUT, sf.fileName)}";` : "",
          PRELUDE,
        ];
        writeFileSync(file, `${header.join("\n")}\nexport async function example(): Promise<any> {\n${body}\n}\n`);
        examples.push({ file, origin });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
const compiled = ts.createProgram(
  examples.map((e) => e.file),
  { ...config.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false, experimentalDecorators: true },
);
const byFile = new Map(examples.map((e) => [e.file, e.origin]));
for (const d of ts.getPreEmitDiagnostics(compiled)) {
  const origin = d.file ? byFile.get(d.file.fileName) : undefined;
  if (d.file && !origin) continue; // only the examples' own errors
  problems.push(`${origin ?? "(config)"} @example does not compile: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
}

if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`check-docs: ${problems.length} problem(s) (${examples.length} examples compiled)`);
  process.exit(1);
}
console.log(
  `check-docs: every file opens with a summary line; every public export and method has an @example; ${examples.length} examples compile`,
);
