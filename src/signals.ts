/** Process signals wired to a graceful shutdown, for servers that own their process. */

/**
 * Wires `store.shutdown()` to SIGTERM and SIGINT for servers: on the first signal, queued
 * writes drain and connections close, then the process exits (code 0, or 1 if shutdown failed).
 * Returns a function that removes the handlers.
 *
 * @example
 * ```ts
 * const store = await createResponsesStore();
 * const stop = shutdownOnSignals(store);
 * stop(); // the handlers are gone again
 * ```
 */
export function shutdownOnSignals(
  store: { shutdown(): Promise<void> },
  signals: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"],
): () => void {
  const onSignal = () => {
    store.shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of signals) process.once(signal, onSignal);
  return () => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
}
