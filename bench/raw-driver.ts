/**
 * The raw driver doing what the store does, for the benchmarks to measure the store against:
 * one upsert of a response's JSON, one select by id and JSON.parse.
 */
import Database from "better-sqlite3";
import mariadb from "mariadb";
import pg from "pg";
import { mysqlConfig, sqlitePath, type ProviderName } from "../src/db/providers.js";

/** One connection pool of the provider's own driver, on the store's table. */
export interface RawDriver {
  /** Inserts or replaces the row `id` (owner ""), holding `json`. */
  upsert(id: string, createdAt: number, json: string): Promise<void>;
  /** The parsed JSON of the row `id`. */
  get(id: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function openRaw(provider: ProviderName, url: string): Promise<RawDriver> {
  switch (provider) {
    case "sqlite": {
      const db = new Database(sqlitePath(url), { timeout: 5000 });
      const upsert = db.prepare(
        `INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES (?, ?, ?, ?, '')
         ON CONFLICT(id) DO UPDATE SET response_object = excluded.response_object, created_at = excluded.created_at, model = excluded.model`,
      );
      const select = db.prepare(`SELECT response_object FROM openai_responses WHERE id = ? AND owner_principal = ''`);
      return {
        upsert: async (id, createdAt, json) => void upsert.run(id, createdAt, json, "gpt-4o"),
        get: async (id) => JSON.parse((select.get(id) as { response_object: string }).response_object),
        close: async () => void db.close(),
      };
    }
    case "postgresql": {
      const pool = new pg.Pool({ connectionString: url, max: 10 });
      pool.on("error", () => {}); // an idle connection closed by the server must not crash the run
      return {
        upsert: async (id, createdAt, json) => {
          await pool.query(
            `INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES ($1, $2, $3, $4, '')
             ON CONFLICT (id) DO UPDATE SET response_object = EXCLUDED.response_object, created_at = EXCLUDED.created_at, model = EXCLUDED.model`,
            [id, createdAt, json, "gpt-4o"],
          );
        },
        get: async (id) =>
          (await pool.query(`SELECT response_object FROM openai_responses WHERE id = $1 AND owner_principal = ''`, [id])).rows[0]
            .response_object,
        close: () => pool.end(),
      };
    }
    case "mysql": {
      const pool = mariadb.createPool({ ...mysqlConfig(url), connectionLimit: 10 });
      return {
        upsert: async (id, createdAt, json) => {
          await pool.execute(
            `INSERT INTO openai_responses (id, created_at, response_object, model, owner_principal) VALUES (?, ?, ?, ?, '')
             ON DUPLICATE KEY UPDATE response_object = VALUES(response_object), created_at = VALUES(created_at), model = VALUES(model)`,
            [id, createdAt, json, "gpt-4o"],
          );
        },
        get: async (id) => {
          const rows = await pool.execute<{ response_object: unknown }[]>(
            `SELECT response_object FROM openai_responses WHERE id = ? AND owner_principal = ''`,
            [id],
          );
          const v = rows[0]!.response_object;
          return typeof v === "string" ? JSON.parse(v) : v;
        },
        close: () => pool.end(),
      };
    }
  }
}
