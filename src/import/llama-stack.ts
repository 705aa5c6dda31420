/**
 * The llama-stack importer: a llama-stack `openai_responses` table copied into ours, resumably.
 *
 * Copies a llama-stack `openai_responses` table (SQLite or PostgreSQL, as its ResponsesStore wrote
 * it; MySQL works too) into ours: the blob's response, `input` and `messages`, and the owner
 * (`owner_principal`, `access_attributes`). Reads by id in batches; ids already stored are
 * skipped, so a second run copies nothing twice and an interrupted run resumes where it stopped.
 */
import { ConfigurationError } from "../errors.js";
import { existsSync } from "node:fs";
import { assertUsableUrl, dialectFor, providerFromUrl, sqlitePath } from "../db/providers.js";
import { runStorage } from "../db/transient.js";
import type { ResponsesStore } from "../store.js";
import type { ImportRecord } from "../types.js";
import { fromJson } from "../schemas/json.js";

/**
 * Options of {@link importLlamaStackResponses}.
 *
 * @example
 * ```ts
 * const options: LlamaStackImportOptions = { sourceUrl: "file:/root/.llama/runtime/sqlstore.db" };
 * await importLlamaStackResponses(store, options);
 * ```
 */
export interface LlamaStackImportOptions {
  /** The llama-stack database: `file:/path/sqlstore.db` or `postgresql://…`. */
  sourceUrl: string;
  /** Its responses table. @default "openai_responses" */
  table?: string;
  /** Rows read and written per batch. @default 200 */
  batchSize?: number;
  /** Hears progress after each batch. */
  onProgress?: (progress: LlamaStackImportResult & { total: number }) => void;
}

/**
 * What an import did.
 *
 * @example
 * ```ts
 * const { copied, skipped, invalid }: LlamaStackImportResult = await importLlamaStackResponses(store, { sourceUrl: url });
 * ```
 */
export interface LlamaStackImportResult {
  /** Rows copied by this run. */
  copied: number;
  /** Rows already present (copied by an earlier run, or stored by the app). */
  skipped: number;
  /** Rows that are not valid responses, with the reason; they are not copied. */
  invalid: { id: string; reason: string }[];
}

type SourceRow = Record<string, unknown>;

/** A source row as a record to import. Throws on a row that is not a stored response at all. */
function toRecord(row: SourceRow): ImportRecord {
  const blob = fromJson(row.response_object) as Record<string, unknown> | null;
  if (!blob || typeof blob !== "object") throw new Error("response_object is not a JSON object");
  const { input, messages, ...response } = blob;
  const principal = typeof row.owner_principal === "string" ? row.owner_principal : "";
  const attributes = fromJson(row.access_attributes ?? null) as Record<string, string[]> | null;
  return {
    response: response as ImportRecord["response"],
    input: (Array.isArray(input) ? input : []) as ImportRecord["input"],
    messages: (Array.isArray(messages) ? messages : null) as ImportRecord["messages"],
    owner: principal ? { principal, attributes: attributes && typeof attributes === "object" ? attributes : null } : null,
  };
}

/**
 * Imports a llama-stack responses table into `store`.
 *
 * @example
 * ```ts
 * const { copied, skipped } = await importLlamaStackResponses(store, { sourceUrl: "file:/root/.llama/runtime/sqlstore.db" });
 * ```
 * @throws ConfigurationError for a bad source URL or table name.
 */
export async function importLlamaStackResponses(
  store: Pick<ResponsesStore, "importResponses">,
  options: LlamaStackImportOptions,
): Promise<LlamaStackImportResult> {
  const table = options.table ?? "openai_responses";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new ConfigurationError("table", `Invalid table name ${JSON.stringify(table)}`);
  const batchSize = options.batchSize ?? 200;
  const provider = providerFromUrl(options.sourceUrl);
  assertUsableUrl("sourceUrl", options.sourceUrl);
  // A source is read, never made: a SQLite file that is not there is named, not created empty.
  if (provider === "sqlite" && !existsSync(sqlitePath(options.sourceUrl))) {
    throw new ConfigurationError("sourceUrl", `No SQLite file at ${sqlitePath(options.sourceUrl)} to import from`);
  }
  const dialect = dialectFor(provider);
  const source = await runStorage("importLlamaStackResponses", () => dialect.openRawConnection(options.sourceUrl));
  const result: LlamaStackImportResult = { copied: 0, skipped: 0, invalid: [] };
  // The source's failures (no such table, a lost connection) are StorageErrors, as the store's are.
  const read = <T>(sql: string, params?: unknown[]) => runStorage("importLlamaStackResponses", () => source.query<T>(sql, params));
  try {
    const [{ n }] = (await read<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`)) as [{ n: unknown }];
    const total = Number(n);
    let after = "";
    for (;;) {
      const rows = await read<SourceRow>(`SELECT * FROM ${table} WHERE id > ${dialect.param(1)} ORDER BY id LIMIT ${batchSize}`, [after]);
      if (!rows.length) break;
      after = String(rows[rows.length - 1]!.id);
      const records: ImportRecord[] = [];
      const sourceIds: string[] = []; // each record's row id: a response without an id is reported by it
      for (const row of rows) {
        try {
          records.push(toRecord(row));
          sourceIds.push(String(row.id));
        } catch (error) {
          result.invalid.push({ id: String(row.id), reason: (error as Error).message });
        }
      }
      const outcome = await store.importResponses(records);
      result.copied += outcome.inserted.length;
      result.skipped += outcome.skipped.length;
      result.invalid.push(...outcome.invalid.map((i) => ({ id: sourceIds[i.index] ?? i.id, reason: i.error.message })));
      options.onProgress?.({ ...result, total });
      if (rows.length < batchSize) break;
    }
    return result;
  } finally {
    await source.close();
  }
}
