/** The loop every batched delete shares: rounds until one finds fewer rows than a batch, with a running total. */

/** One round of a batched delete: how many rows it found and how many it deleted. */
export interface Batch {
  found: number;
  deleted: number;
}

/**
 * Runs `round` until one finds fewer than `batchSize` rows; `onBatch` hears the running total after each round that found any.
 * Returns how many rows were deleted.
 */
export async function inBatches(batchSize: number, round: () => Promise<Batch>, onBatch?: (deleted: number) => void): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await round();
    deleted += batch.deleted;
    if (batch.found) onBatch?.(deleted);
    if (batch.found < batchSize) return deleted;
  }
}
