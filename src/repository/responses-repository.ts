/**
 * The only code that queries the `openai_responses` table. Each method is one logical
 * operation with access already expressed as a `where` fragment, and every backend error is
 * wrapped once, by `run()`, into a StorageError (our own errors pass through untouched).
 */
import type { ResponsesPrismaClient } from "../db/client.js";
import { isTransient, isUniqueViolation } from "../db/transient.js";
import { InvalidParameterError, ResponseIdConflictError, StorageError, isResponsesStoreError } from "../errors.js";
import { afterCursor, assemblePage, keysetOrder, type ListPage, type Order } from "./keyset.js";

/** The stored JSON blob: the response object plus its input items and chat messages. */
export type StoredBlob = Record<string, unknown> & { id: string; input?: unknown[]; messages?: unknown[] | null };

/** A row to write. */
export interface ResponseRow {
  id: string;
  createdAt: bigint;
  model: string;
  responseObject: StoredBlob;
  ownerPrincipal: string;
  accessAttributes: Record<string, string[]> | null;
}

/** Rows a caller may see or change: a `where` fragment from access/visibility.ts. */
export type Visibility = Record<string, unknown>;

/** What `page()` takes, validated. */
export interface PageQuery {
  after?: string | undefined;
  limit: number;
  model?: string | undefined;
  order: Order;
}

const TABLE = "openai_responses";

/** Queries on `openai_responses` through one PrismaClient. */
export class ResponsesRepository {
  constructor(private readonly prisma: ResponsesPrismaClient) {}

  /**
   * Inserts the row, or replaces the stored response of an existing row the writer may change
   * (`writable`). Ownership never changes. An id held by a row outside `writable` is refused
   * with ResponseIdConflictError and left untouched.
   */
  async upsert(row: ResponseRow, writable: Visibility): Promise<void> {
    const delegate = this.prisma.openAIResponse;
    const json = row.responseObject as never;
    await this.run("storeResponseObject", async () => {
      // A concurrent insert or delete of the same id can slip between the two statements;
      // going round again settles it.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await delegate.createMany({ data: [{ ...row, responseObject: json, accessAttributes: row.accessAttributes ?? undefined }] });
          return;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        const { count } = await delegate.updateMany({
          where: { id: row.id, ...writable },
          data: { responseObject: json, createdAt: row.createdAt, model: row.model },
        });
        if (count === 1) return;
        const exists = await delegate.count({ where: { id: row.id } });
        if (exists) throw new ResponseIdConflictError(row.id);
      }
      throw new ResponseIdConflictError(row.id);
    });
  }

  /** The stored blob of a visible row, or undefined. */
  async find(id: string, visible: Visibility): Promise<StoredBlob | undefined> {
    const row = await this.run("getResponseObject", () =>
      this.prisma.openAIResponse.findFirst({ where: { id, ...visible }, select: { responseObject: true } }),
    );
    return row ? (row.responseObject as StoredBlob) : undefined;
  }

  /** Deletes a visible row; false when there was none. */
  async delete(id: string, visible: Visibility): Promise<boolean> {
    const { count } = await this.run("deleteResponseObject", () =>
      this.prisma.openAIResponse.deleteMany({ where: { id, ...visible } }),
    );
    return count > 0;
  }

  /**
   * One keyset page of visible rows, by (created_at, id).
   *
   * @throws InvalidParameterError when `after` names no visible row.
   */
  async page(query: PageQuery, visible: Visibility): Promise<ListPage<StoredBlob>> {
    return this.run("listResponses", async () => {
      const where: Record<string, unknown>[] = [visible];
      if (query.model) where.push({ model: query.model });
      if (query.after) {
        const cursor = await this.prisma.openAIResponse.findFirst({
          where: { id: query.after, ...visible },
          select: { id: true, createdAt: true },
        });
        if (!cursor) {
          throw new InvalidParameterError("after", `Record with id='${query.after}' not found in table '${TABLE}'`);
        }
        where.push(afterCursor(cursor, query.order));
      }
      const rows = await this.prisma.openAIResponse.findMany({
        where: { AND: where },
        orderBy: [...keysetOrder(query.order)],
        take: query.limit + 1,
        select: { responseObject: true },
      });
      return assemblePage(
        rows.map((r) => r.responseObject as StoredBlob),
        query.limit,
        (blob) => blob.id,
      );
    });
  }

  /** Runs one database operation; wraps backend errors once. */
  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isResponsesStoreError(error)) throw error;
      throw new StorageError(operation, isTransient(error), { cause: error });
    }
  }
}
