/** Rows of openai_responses read and written past the store: as earlier releases wrote them, and as stored now. */
import { dialectFor, type ProviderName } from "../../src/db/providers.js";
import type { InputItem } from "../../src/schemas/input-item.js";
import type { ResponseObject } from "../../src/schemas/response.js";

/** A response as an earlier release stored it. */
export interface LegacyRow {
  response: ResponseObject;
  input: InputItem[];
  messages: unknown[];
  user: { principal: string; attributes?: Record<string, string[]> } | null;
}

/**
 * Inserts rows as the releases before linear storage wrote them: whole, in the columns of the
 * first migration only.
 */
export async function insertLegacyRows(provider: ProviderName, url: string, rows: readonly LegacyRow[]): Promise<void> {
  const dialect = dialectFor(provider);
  const conn = await dialect.openRawConnection(url);
  try {
    const p = (i: number) => dialect.param(i, i === 3 || i === 6 ? "json" : i === 2 ? "bigint" : undefined);
    for (const r of rows) {
      await conn.query(
        `INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal, access_attributes) VALUES (${[1, 2, 3, 4, 5, 6].map(p).join(", ")})`,
        [
          r.response.id,
          r.response.created_at,
          JSON.stringify({ ...r.response, input: r.input, messages: r.messages }),
          r.response.model,
          r.user?.principal ?? "",
          r.user ? JSON.stringify(r.user.attributes ?? null) : null,
        ],
      );
    }
  } finally {
    await conn.close();
  }
}

/** What a row holds as stored: its JSON, the parent it continues, its input count (null: not examined yet), whether it is marked deleted. */
export async function storedRow(
  provider: ProviderName,
  url: string,
  id: string,
): Promise<
  | {
      stored: Record<string, unknown> & { input: unknown[]; messages?: unknown[] };
      parentId: string | null;
      inputCount: number | null;
      /** full_bytes: what a read of the row's whole history returns, in bytes. */
      fullBytes: number | null;
      deleted: boolean;
    }
  | undefined
> {
  const dialect = dialectFor(provider);
  const conn = await dialect.openRawConnection(url);
  try {
    const rows = await conn.query<{
      response_object: unknown;
      parent_id: string | null;
      input_count: unknown;
      full_bytes: unknown;
      deleted_at: unknown;
    }>(`SELECT response_object, parent_id, input_count, full_bytes, deleted_at FROM openai_responses WHERE id = ${dialect.param(1)}`, [id]);
    const r = rows[0];
    if (!r) return undefined;
    const stored = typeof r.response_object === "string" ? JSON.parse(r.response_object) : r.response_object;
    const inputCount = r.input_count === null || r.input_count === undefined ? null : Number(r.input_count);
    const fullBytes = r.full_bytes === null || r.full_bytes === undefined ? null : Number(r.full_bytes);
    return { stored, parentId: r.parent_id ?? null, inputCount, fullBytes, deleted: r.deleted_at !== null && r.deleted_at !== undefined };
  } finally {
    await conn.close();
  }
}

/** Runs SQL on the database past the store (to break a chain on purpose). */
export async function execSql(provider: ProviderName, url: string, sql: string): Promise<void> {
  const conn = await dialectFor(provider).openRawConnection(url);
  try {
    await conn.exec(sql);
  } finally {
    await conn.close();
  }
}
