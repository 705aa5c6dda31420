/** A closed-loop load: concurrent callers each making the next call as soon as their last one answers. */

/** Calls/s of `call(i)` for i in 0..total-1, made by `concurrency` callers in a closed loop. */
export async function closedLoop(total: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await call(next++);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}
