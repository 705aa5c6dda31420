/** The `openai_responses` table as the repository sees it: row, blob and write shapes, its columns, and how a row is encoded. */
import type { Db } from "../db/client.js";
import type { Dialect } from "../db/providers.js";
import type { RowCondition } from "../access/where.js";
import type { SqlQuery } from "@prisma/driver-adapter-utils";
import type { ResponseObject } from "../schemas/response.js";
import type { User } from "../schemas/params.js";
import type { ResponseWithInput, StoredResponse } from "../types.js";
import {
  planTurn,
  type ChainColumns,
  type ChainFormat,
  type ItemList,
  type ParentFacts,
  type PlannedHistory,
  type TurnItems,
} from "./chain.js";
import { planOnParentRow, planOnStoredParent, type StoredParent, type TurnOnParentRow } from "./chain-on-parent.js";
import type { ChainTable, ServerTraits } from "./chain-sql.js";
import type { Order } from "./keyset.js";
import { ContinuedList, type MatchedPrefix, type RememberedList, type RememberedTurns } from "./remembered-turns.js";
import { SqlParams } from "./sql.js";
import type { UpsertTable } from "./upsert.js";
import { keepsFinalStatus, statusOf } from "./final-states.js";

/** The stored JSON blob: the response object plus its input items and chat messages. */
export type StoredBlob = Record<string, unknown> & { id: string; input?: unknown[]; messages?: unknown[] | null };

/** A row to write. */
export interface ResponseRow {
  id: string;
  createdAt: number;
  model: string;
  responseObject: StoredBlob;
  ownerPrincipal: string;
  accessAttributes: Record<string, string[]> | null;
}

/** Items `from` to the end of a response's whole input, which holds `count` items. */
export interface InputWindow {
  items: unknown[];
  from: number;
  count: number;
  /** Whether no item id repeats in the whole input (null: not known). */
  unique: boolean | null;
}

/** What a page of responses takes, validated. */
export interface PageQuery {
  after?: string | undefined;
  /** Leave `input` and `messages` out of the returned blobs (in the database). */
  includeInput: boolean;
  limit: number;
  model?: string | undefined;
  order: Order;
  /** The page ends after the item that reaches this many bytes of JSON (at least one item). */
  maxBytes: number;
}

/**
 * One write to the responses table, as the store and its queue carry it:
 * - `store`: insert, or replace an existing row the writer may update. `mayCreate` is false when
 *   the policy does not let the writer create, so only an existing row may be replaced.
 * - `update`: a lifecycle update of an existing row: the response replaced, the stored input
 *   kept unless `input` is given, the stored messages always kept, the owner never changed.
 */
export type ResponseWrite =
  | {
      kind: "store";
      id: string;
      row: ResponseRow;
      mayCreate: boolean;
      /**
       * Set by the store, which validated the row's items: what they start with of a turn it
       * remembers. A linked turn written with it is remembered in turn.
       */
      remembered?: MatchedPrefix;
      /**
       * Set by storeTurn: the row's lists hold only what the turn adds to the `remembered` ones
       * (its whole lists are those followed by these). Written only where the parent row still
       * holds exactly that (one statement); else it fails with a ParentMovedError and the store
       * builds the turn again from the stored parent.
       */
      appends?: boolean;
      /**
       * With `appends`, where this process does not remember the parent (storeTurn on another
       * instance, or after a restart): the turn is inserted on the parent row as the INSERT finds
       * it (a row stored before the row kept its inherited size is read first, and the turn
       * inserted only where it still holds what was read); else it fails with a
       * ParentMovedError and the store builds the turn from the stored history.
       */
      onStoredParent?: boolean;
    }
  | {
      kind: "update";
      id: string;
      response: StoredBlob;
      input: unknown[] | undefined;
      createdAt: number;
      model: string;
      writer: User | null;
      /** A cancel: the stored response moves to `cancelled` (`response`, `input`, `createdAt` and `model` are not used). */
      cancel?: true;
    };

/** A store write. */
export type StoreWrite = Extract<ResponseWrite, { kind: "store" }>;

/** The rows a write's writer may read and update, as conditions. */
export type WriteAccess = (writer: User | null) => { read: RowCondition; update: RowCondition };

/** The table as each statement addresses it: its SQL name, its two upsert shapes, its chains. */
export interface TableRef {
  name: string;
  /** Every column: what a planned row writes, and what a replaced row gets. */
  upsert: UpsertTable;
  /** The columns of an imported row, which compaction examines next (inserts only; a small statement). */
  insertOnly: UpsertTable;
  chains: ChainTable;
}

/** What each part of the responses repository works with: one connection, its dialect, the table, remembered turns. */
export interface ResponsesContext {
  db: Db;
  dialect: Dialect;
  table: TableRef;
  remembered: RememberedTurns;
}

const BASE_COLUMNS = [
  ["id", "string"],
  ["created_at", "bigint"],
  ["response_object", "json"],
  ["model", "string"],
  ["owner_principal", "string"],
  ["access_attributes", "json"],
  ["status", "string"],
] as const;

/** The linear-storage columns, in the order chainValues() gives them. */
const CHAIN_COLUMNS = [
  ["parent_id", "string"],
  ["depth", "int"],
  ["input_start", "int"],
  ["input_count", "int"],
  ["output_count", "int"],
  ["messages_start", "int"],
  ["messages_count", "int"],
  ["history_digest", "string"],
  ["messages_digest", "string"],
  ["input_ids_unique", "boolean"],
  ["full_bytes", "bigint"],
  ["inherited_bytes", "bigint"],
  ["deleted_at", "bigint"],
] as const;

/** The name of a linear-storage column. */
export type ChainColumnName = (typeof CHAIN_COLUMNS)[number][0];

/** The table named `name` (schema-qualified where configured); `events`: its response events' table, deleted with their responses. */
export function tableRef(dialect: Dialect, name: string, server: ServerTraits, events?: string, messageReferences = false): TableRef {
  return {
    name,
    // A stored id written again is live again (a deleted turn's id may be reused).
    upsert: {
      name,
      columns: [...BASE_COLUMNS, ...CHAIN_COLUMNS],
      replace: ["response_object", "created_at", "model", "status", ...CHAIN_COLUMNS.map(([column]) => column)],
      // No write moves a response out of a final status.
      guard: (stored, proposed) => keepsFinalStatus(stored, proposed("status")),
    },
    insertOnly: { name, columns: BASE_COLUMNS, replace: [] },
    chains: { dialect, name, ...server, messageReferences, events },
  };
}

/** A row's chain columns in CHAIN_COLUMNS order. */
function chainValues(c: ChainColumns): unknown[] {
  return [
    c.parentId,
    c.depth,
    c.inputStart,
    c.inputCount,
    c.outputCount,
    c.messagesStart,
    c.messagesCount,
    c.historyDigest,
    c.messagesDigest,
    c.inputIdsUnique,
    String(c.fullBytes),
    String(c.inheritedBytes),
    null,
  ];
}

/** A row as written: the stored JSON (own items only, for a turn that continues its parent) and its chain columns. */
export interface PlannedRow {
  row: ResponseRow;
  json: string;
  chain: ChainColumns | null;
}

/** A row planned under linear storage, with what remembering it takes. */
export type LinkedRow = PlannedRow & { chain: ChainColumns; continuation: PlannedHistory | undefined; items: TurnItems };

/** A row's values in the upsert's column order (of the insert-only shape when it is not planned). */
export function rowValues({ row: r, json, chain }: PlannedRow): unknown[] {
  const base = [
    r.id,
    String(r.createdAt),
    json,
    r.model,
    r.ownerPrincipal,
    r.accessAttributes === null ? null : JSON.stringify(r.accessAttributes),
    statusOf(r.responseObject),
  ];
  return chain ? [...base, ...chainValues(chain)] : base;
}

/**
 * A row stored whole, not examined for linear storage yet (its chain columns unknown): a store
 * that continues nothing, and imports. Compaction examines such rows later; a turn continuing
 * one reads its counts and digests from its JSON.
 */
export function unplanned(row: ResponseRow): PlannedRow {
  return { row, json: JSON.stringify(row.responseObject), chain: null };
}

/**
 * The row as stored under linear storage: against `parent` (locked, readable by the writer), only
 * the items the parent does not hold. With `appends` (storeTurn), the row's lists are what the
 * turn adds to the `remembered` ones: its whole lists are those followed by these.
 */
export function planned(
  row: ResponseRow,
  parent: ParentFacts | undefined,
  format: ChainFormat,
  remembered?: MatchedPrefix,
  appends = false,
): LinkedRow {
  const { input, messages, ...rest } = row.responseObject;
  const whole = (own: unknown[], base: RememberedList | undefined): ItemList => (appends && base ? new ContinuedList(base, own) : own);
  const items: TurnItems = {
    input: whole(input ?? [], remembered?.input),
    output: (rest.output as unknown[] | undefined) ?? [],
    messages: messages == null ? messages : whole(messages, remembered?.messages),
  };
  const plan = planTurn(items, parent, JSON.stringify(rest), format, { input: remembered?.input, messages: remembered?.messages });
  return { row, json: plan.json, chain: plan.columns, continuation: plan.continuation, items };
}

/**
 * The row of a turn stored on `parent` as read (storeTurn, `onStoredParent`): its lists are what
 * the turn adds to the parent's.
 */
export function plannedOnStored(row: ResponseRow, parent: StoredParent, format: ChainFormat): PlannedRow & { chain: ChainColumns } {
  const { items, restJson } = addedItems(row);
  const { json, columns } = planOnStoredParent(items, parent, restJson, format.messageReferences);
  return { row, json, chain: columns };
}

/** The row of a turn to be inserted on its parent's row as the INSERT finds it (storeTurn, `onStoredParent`). */
export function plannedOnParentRow(row: ResponseRow, format: ChainFormat): { row: ResponseRow; turn: TurnOnParentRow } {
  const { items, restJson } = addedItems(row);
  return { row, turn: planOnParentRow(items, restJson, format.messageReferences) };
}

/** What a storeTurn row adds to its parent (its own input, output and messages), and the JSON of the response without them. */
function addedItems(row: ResponseRow) {
  const { input, messages, ...rest } = row.responseObject;
  const items = { input: input ?? [], output: (rest.output as unknown[] | undefined) ?? [], messages: messages ?? [] };
  return { items, restJson: JSON.stringify(rest) };
}

/**
 * UPDATE of a row's stored JSON, status and chain columns (and its created_at and model, with
 * `all`), unless it would move the row out of a final status (then it changes nothing).
 */
export function rewrite(
  dialect: Dialect,
  table: TableRef,
  { row, json, chain }: PlannedRow & { chain: ChainColumns },
  all: boolean,
): SqlQuery {
  const p = new SqlParams(dialect);
  const values = chainValues(chain);
  // Placeholders in text order: MySQL and SQLite number them by position.
  const sets = [
    `response_object = ${p.value(json, "json")}`,
    ...CHAIN_COLUMNS.map(([name, type], i) => `${name} = ${p.value(values[i], type)}`),
  ];
  if (all) sets.push(`created_at = ${p.value(String(row.createdAt), "bigint")}`, `model = ${p.value(row.model)}`);
  const status = statusOf(row.responseObject);
  sets.push(`status = ${p.value(status)}`);
  const where = `id = ${p.value(row.id)} AND ${keepsFinalStatus(table.name, p.value(status))}`;
  return p.query(`UPDATE ${table.name} SET ${sets.join(", ")} WHERE ${where}`);
}

/** The id of the response a blob continues, if any. */
export function previousOf(blob: StoredBlob): string | undefined {
  const previous = blob.previous_response_id;
  return typeof previous === "string" && previous ? previous : undefined;
}

/** The blob stored for a response: the response object with its input and (unless null) its messages. */
export function toStoredBlob(
  response: ResponseObject,
  input: readonly unknown[],
  messages: readonly unknown[] | null | undefined,
): StoredBlob & Pick<ResponseObject, "created_at" | "model"> {
  return { ...response, input: input as unknown[], ...(messages == null ? {} : { messages: messages as unknown[] }) };
}

/** A row of `blob`, with its owner columns. */
export function toRow(
  blob: StoredBlob & Pick<ResponseObject, "created_at" | "model">,
  owner: Pick<ResponseRow, "ownerPrincipal" | "accessAttributes">,
): ResponseRow {
  return { id: blob.id, createdAt: blob.created_at, model: blob.model, responseObject: blob, ...owner };
}

/** A blob read back, as the public shape the store returns (stored blobs were validated as these). */
export function fromStoredBlob(blob: StoredBlob): StoredResponse {
  return blob as unknown as StoredResponse;
}

/** A listed blob without its internal messages (and, with `input: false`, without its input). */
export function listed(blob: StoredBlob, input: boolean): ResponseWithInput | ResponseObject {
  const { messages: _messages, ...rest } = blob;
  if (input) return rest as unknown as ResponseWithInput;
  const { input: _input, ...response } = rest;
  return response as unknown as ResponseObject;
}

/** Now, in unix seconds (when a turn was marked deleted). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
