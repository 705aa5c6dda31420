// Final statuses stay final, on every configured database: no update or re-store moves a response
// out of completed, failed, cancelled or incomplete (the writing statement itself refuses it), and
// the late writer gets a ResponseStateConflictError, directly, through the write queue and from
// another instance racing a cancel.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ResponseStateConflictError, type ResponsesStore } from "../../src/index.js";
import { PROVIDERS } from "../support/databases.js";
import { alice, makeResponse, storeFactory, userMessage } from "../support/fixtures.js";

const FINAL = ["completed", "failed", "cancelled", "incomplete"] as const;
const ALL = ["queued", "in_progress", ...FINAL] as const;

describe.each(PROVIDERS)("final states on $label", (provider) => {
  const stores = storeFactory(provider);

  test("an update or a re-store that would leave a final status is refused and changes nothing; the same status may be written again", async () => {
    for (const queued of [false, true]) {
      const store = await stores.open({ queue: { enabled: queued } });
      for (const stored of FINAL) {
        const id = `resp_${stored}_${queued ? "q" : "d"}`;
        const response = makeResponse({ id, status: stored, background: true });
        await store.storeResponseObject(response, [userMessage("kept")], [], { user: alice });
        for (const next of ALL.filter((s) => s !== stored)) {
          const late = { ...response, status: next, output: [] };
          for (const write of [
            () => store.updateResponseObject(late, { user: alice }),
            () => store.storeResponseObject(late, [userMessage("replaced")], [], { user: alice }),
          ]) {
            const refused = await write().catch((e: unknown) => e);
            expect(refused, `${stored} → ${next}`).toBeInstanceOf(ResponseStateConflictError);
            expect(refused).toMatchObject({ code: "RESPONSE_STATE_CONFLICT", status: stored, attempted: next });
          }
        }
        expect(await store.getResponseObject(id, { user: alice })).toEqual({ ...response, input: [userMessage("kept")], messages: [] });
        // The same final status: a re-store and an update still write.
        await store.updateResponseObject({ ...response, instructions: "same status" }, { user: alice });
        await store.storeResponseObject({ ...response, instructions: "stored again" }, [userMessage("new")], [], { user: alice });
        expect(await store.getResponseObject(id, { user: alice })).toMatchObject({
          instructions: "stored again",
          input: [userMessage("new")],
        });
      }
    }
  });

  test("a response without a status may not replace a final one; a deleted one's id may be stored anew", async () => {
    const store = await stores.open();
    const done = makeResponse({ id: "resp_done" });
    await store.storeResponseObject(done, [], [], { user: alice });
    const { status: _status, ...statusless } = done;
    await expect(store.storeResponseObject(statusless as typeof done, [], [], { user: alice })).rejects.toMatchObject({
      code: "RESPONSE_STATE_CONFLICT",
      attempted: null,
    });
    await store.deleteResponseObject("resp_done", { user: alice });
    await store.storeResponseObject({ ...done, status: "in_progress" }, [], [], { user: alice });
    expect((await store.getResponseObject("resp_done", { user: alice })).status).toBe("in_progress");
  });

  test("a worker and a cancel on two instances: whichever lands first wins, the other is refused, in every interleaving and through the queue", async () => {
    const canceller = await stores.open();
    const workers = { direct: await stores.open({ queue: { enabled: false } }), queued: await stores.open({ queue: { enabled: true } }) };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          steps: fc.integer({ min: 0, max: 3 }), // in_progress updates before the end
          end: fc.constantFrom("completed", "failed", "incomplete"),
          via: fc.constantFrom("update", "store"),
          worker: fc.constantFrom<keyof typeof workers>("direct", "queued"),
          cancelAfter: fc.integer({ min: 0, max: 4 }), // worker writes started before the cancel
          pause: fc.integer({ min: 0, max: 3 }),
        }),
        async ({ steps, end, via, worker, cancelAfter, pause }) => {
          const id = `resp_race${run++}`;
          const response = makeResponse({ id, status: "queued", background: true });
          await canceller.storeResponseObject(response, [userMessage("q")], [], { user: alice });
          const writer: ResponsesStore = workers[worker];
          const write = (status: string) => {
            const next = { ...response, status, output: status === end ? response.output : [] };
            return via === "update"
              ? writer.updateResponseObject(next, { user: alice })
              : writer.storeResponseObject(next, [userMessage("q")], [], { user: alice });
          };
          const statuses = [...Array<string>(steps).fill("in_progress"), end];
          const written: unknown[] = [];
          let cancel: Promise<unknown> | undefined;
          // The worker awaits each write, as a worker does; the cancel comes from the other instance meanwhile.
          for (const [i, status] of statuses.entries()) {
            if (i === cancelAfter) cancel = canceller.cancelResponse(id, { user: alice }).catch((e: unknown) => e);
            written.push(
              await write(status).then(
                () => "ok",
                (e: unknown) => e,
              ),
            );
            if (pause) await new Promise((r) => setTimeout(r, pause));
          }
          cancel ??= canceller.cancelResponse(id, { user: alice }).catch((e: unknown) => e);
          const cancelled = await cancel;
          const final = (await canceller.getResponseObject(id, { user: alice })).status;
          const workerFinished = written.at(-1) === "ok";
          // Exactly one of the two ends lands, and the stored status is its.
          expect(workerFinished).toBe(cancelled instanceof ResponseStateConflictError);
          expect(final).toBe(workerFinished ? end : "cancelled");
          // Every refused write was refused for the final status, and once one is, so is every later one.
          const firstRefused = written.findIndex((w) => w !== "ok");
          if (firstRefused >= 0)
            for (const w of written.slice(firstRefused)) expect(w).toMatchObject({ code: "RESPONSE_STATE_CONFLICT", status: "cancelled" });
          if (!workerFinished) expect(cancelled).toMatchObject({ status: "cancelled" });
          else expect(cancelled).toMatchObject({ status: end });
        },
      ),
      { numRuns: provider.name === "sqlite" ? 60 : 40 },
    );
  });
});
