/** How long a call took to settle, and how: for tests that pin down that a call ends within its deadline. */

/** Awaits `call` and says how it settled and after how many milliseconds. */
export async function timed<T>(call: Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = performance.now();
  const outcomes = await Promise.allSettled([call]);
  return { ms: performance.now() - started, outcome: outcomes[0] };
}
