// The queue's workers cannot die: whatever the write function throws (not even an Error), the
// affected writes settle with a typed error and the worker goes on serving later writes.
import { describe, expect, test } from "vitest";
import { StorageError } from "../../src/index.js";
import { WriteQueue } from "../../src/queue/write-queue.js";
import type { ResponseWrite } from "../../src/repository/responses-repository.js";

const row = (id: string): ResponseWrite => ({
  kind: "store",
  id,
  row: { id, createdAt: 1, model: "m", responseObject: { id }, ownerPrincipal: "", accessAttributes: null },
  mayCreate: true,
});

describe("WriteQueue workers", () => {
  test("survive a write function that throws strange values, and keep serving", async () => {
    const committed: string[] = [];
    let calls = 0;
    const queue = new WriteQueue(
      async (rows) => {
        calls++;
        if (calls === 1) throw "a string, not an Error"; // eslint-disable-line @typescript-eslint/only-throw-error
        if (calls === 2) throw Object.assign(new Error("syntax error"), { code: "42601" });
        committed.push(...rows.map((r) => r.id));
        return new Map();
      },
      { concurrency: 1, batchSize: 1 },
    );
    const results = await Promise.allSettled([queue.enqueue(row("a")), queue.enqueue(row("b")), queue.enqueue(row("c"))]);
    expect(results[0]).toMatchObject({ status: "rejected", reason: expect.any(StorageError) });
    expect(results[1]).toMatchObject({ status: "rejected", reason: expect.any(StorageError) });
    expect(results[2]).toMatchObject({ status: "fulfilled" });
    expect(committed).toEqual(["c"]);
    await queue.enqueue(row("d"));
    expect(committed).toEqual(["c", "d"]);
    expect(queue.stats()).toMatchObject({ failed: 2, written: 2, depth: 0, inFlightBatches: 0 });
    await queue.close();
  });
});
