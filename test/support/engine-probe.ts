/**
 * Run as a child process: whether Prisma's schema engine can read the catalog of the database at
 * argv[2] (it introspects it). Exits 0 when it can; else prints why and exits 1. The engine
 * panics (a WebAssembly trap) and then never answers on catalogs it does not know, such as
 * PostgreSQL 18's, so this runs apart from the tests, under a time limit.
 */
import { openEngine, schemaFiles } from "./schema-engine.js";

const FILTERS = { externalTables: [], externalEnums: [] };
const url = process.argv[2]!;
process.on("uncaughtException", (error) => {
  console.error(`the engine crashed: ${error.message}`);
  process.exit(1);
});
try {
  const { engine, close } = await openEngine("postgresql", url);
  try {
    await engine.diff({
      from: { tag: "schemaDatasource", files: schemaFiles("postgresql"), configDir: process.cwd() },
      to: { tag: "schemaDatamodel", files: schemaFiles("postgresql") },
      script: true,
      shadowDatabaseUrl: null,
      exitCode: true,
      filters: FILTERS,
    });
  } finally {
    await close();
  }
  process.exit(0);
} catch (error) {
  console.error(`the engine failed: ${String(error)}`);
  process.exit(1);
}
