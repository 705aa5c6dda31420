/**
 * A parameterised SQL statement under construction: values become numbered placeholders in
 * the dialect's syntax, with the argument types Prisma's driver adapters expect. Nothing a
 * caller passes is ever spliced into SQL text.
 */
import type { ArgScalarType, ArgType, SqlQuery } from "@prisma/driver-adapter-utils";
import type { Dialect } from "../db/providers.js";
import type { Visibility } from "../access/visibility.js";

/** Collects arguments while a statement's text is written. */
export class SqlParams {
  readonly #args: unknown[] = [];
  readonly #argTypes: ArgType[] = [];
  constructor(private readonly dialect: Dialect) {}

  /** Adds a value and returns its placeholder. */
  value(value: unknown, scalarType: ArgScalarType = "string"): string {
    this.#args.push(value);
    this.#argTypes.push({ scalarType, arity: "scalar" });
    return this.dialect.param(this.#args.length);
  }

  /** `owner_principal IN (...)` for the rows `visibility` allows (the column may be qualified). */
  visible(visibility: Visibility, column = "owner_principal"): string {
    return `${column} IN (${visibility.ownerIn.map((o) => this.value(o)).join(", ")})`;
  }

  /** The finished query for the driver adapter. */
  query(sql: string): SqlQuery {
    return { sql, args: this.#args, argTypes: this.#argTypes };
  }
}
