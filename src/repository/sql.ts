/**
 * Parameterised SQL under construction, and the decoders of what the drivers return.
 *
 * Values become numbered placeholders in the dialect's syntax, with the argument types Prisma's
 * driver adapters expect. Nothing a caller passes is ever spliced into SQL text.
 */
import type { ArgScalarType, ArgType, SqlQuery } from "@prisma/driver-adapter-utils";
import type { Dialect } from "../db/providers.js";
import type { RowCondition } from "../access/where.js";

/** Collects arguments while a statement's text is written. */
export class SqlParams {
  readonly #args: unknown[] = [];
  readonly #argTypes: ArgType[] = [];
  readonly #dialect: Dialect;
  constructor(dialect: Dialect) {
    this.#dialect = dialect;
  }

  /** Adds a value and returns its placeholder. */
  value(value: unknown, scalarType: ArgScalarType = "string"): string {
    this.#args.push(value);
    this.#argTypes.push({ scalarType, arity: "scalar" });
    return this.#dialect.param(this.#args.length, scalarType);
  }

  /**
   * A row condition from access/where.ts as SQL on `table`'s columns (never NULL); `key` is the
   * column resource patterns name (`id` of a response, `conversation_id`).
   */
  condition(c: RowCondition, table: string, key = "id"): string {
    const col = (name: string) => `${table}.${name}`;
    switch (c.kind) {
      case "const":
        return c.value ? "1=1" : "1=0";
      case "owner-is":
        return `${col("owner_principal")} = ${this.value(c.principal)}`;
      case "owned":
        return `${col("owner_principal")} <> ''`;
      case "attr-overlaps":
        return this.#dialect.json.overlaps(col("access_attributes"), c.attribute, c.values, (v) => this.value(v));
      case "attr-present":
        return this.#dialect.json.present(col("access_attributes"), c.attribute, (v) => this.value(v));
      case "id-is":
        return `${col(key)} = ${this.value(c.id)}`;
      case "id-starts":
        // The length is ours (a count of code points, as SUBSTR counts), not caller input.
        return `SUBSTR(${col(key)}, 1, ${Array.from(c.prefix).length}) = ${this.value(c.prefix)}`;
      case "and":
      case "or":
        return `(${c.items.map((i) => this.condition(i, table, key)).join(c.kind === "and" ? " AND " : " OR ")})`;
      case "not":
        // "unowned" as an equality, so the (owner_principal, ...) indexes serve it everywhere.
        if (c.item.kind === "owned") return `${col("owner_principal")} = ''`;
        return `NOT (${this.condition(c.item, table, key)})`;
    }
  }

  /**
   * The rows of `table` that `c` allows and that are live: not marked deleted (a deleted turn
   * later turns build on stays, hidden, until the last of them goes). Every read and delete of
   * the responses table that a caller's condition drives goes through this.
   */
  live(c: RowCondition, table: string): string {
    return `${this.condition(c, table)} AND ${table}.deleted_at IS NULL`;
  }

  /** How many values are bound so far (also a handy unique suffix for aliases). */
  get count(): number {
    return this.#args.length;
  }

  /** The finished query for the driver adapter. */
  query(sql: string): SqlQuery {
    return { sql, args: this.#args, argTypes: this.#argTypes };
  }
}

export { fromJson } from "../schemas/json.js";

/** One statement: `write` composes its text, binding each value to `p`. */
export function statement(dialect: Dialect, write: (p: SqlParams) => string): SqlQuery {
  const p = new SqlParams(dialect);
  return p.query(write(p));
}

/** A SQL boolean as the drivers return it (true, 1, 1n, "1", "t"). */
export function truthy(value: unknown): boolean {
  return value === true || value === "t" || value === "true" || Number(value) === 1;
}

/** A nullable text column as the drivers return it (null or undefined for SQL NULL). */
export function textOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : (value as number | bigint).toString();
}

/** A nullable integer column as the drivers return it (numbers, bigints or text). */
export function intOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
