/**
 * Wakes followers of a response's events: at once on PostgreSQL (LISTEN on one connection per store), by polling elsewhere.
 *
 * A follower arms for its response id before each read, then, if the read found nothing, waits
 * until a notification names it (one that came during the read counts), its poll interval
 * passes, or it is aborted. With notifications, a slower poll still runs as a safety net (a notification
 * sent while the listening connection was being replaced is not lost for long).
 */
import type { Dialect } from "../db/providers.js";
import type { Logger } from "../options.js";
import { EVENTS_CHANNEL } from "../repository/response-events-repository.js";

/** How often a follower looks for new events without notifications, and with them (a safety net). */
const FOLLOW_POLL_MS = { polling: 100, notified: 1000 } as const;

/** A follower's registration for one response: it has heard of every append since it was made. */
export interface ArmedWait {
  /** Until an append was heard (at once if one was already), the poll interval passes, `signal` aborts, or close. */
  wait(signal?: AbortSignal): Promise<void>;
  /** Stops hearing (a read found events: no wait follows). */
  disarm(): void;
}

/** The followers of one store. */
export class EventWaker {
  readonly #listen: (() => Promise<{ close(): Promise<void> }>) | undefined;
  readonly #logger: Logger;
  readonly #waiting = new Map<string, Set<() => void>>();
  #listener: Promise<{ close(): Promise<void> } | undefined> | undefined;
  #closed = false;
  /** Whether the listening connection is up (followers then poll only as a safety net). */
  #up = false;

  /** `url`: where to LISTEN, when the dialect can and the store owns its connection (else followers poll). */
  constructor(dialect: Dialect, url: string | undefined, timeoutMs: number, logger: Logger) {
    const notifications = dialect.notifications;
    this.#logger = logger;
    this.#listen =
      notifications && url && !/[?&]pgbouncer=true\b/.test(url)
        ? () =>
            notifications.listen(
              url,
              EVENTS_CHANNEL,
              (id) => this.#wake(id),
              () => {
                this.#up = false;
                this.#listener = undefined; // listen again at the next wait
                this.#wakeAll();
              },
              timeoutMs,
            )
        : undefined;
  }

  /** How long a follower waits between looks when nothing wakes it. */
  get pollMs(): number {
    return this.#up ? FOLLOW_POLL_MS.notified : FOLLOW_POLL_MS.polling;
  }

  /**
   * Starts hearing of `id` before the caller reads its events, so that an append committed
   * between that read and the wait still wakes it; `wait` then returns at once.
   */
  async arm(id: string): Promise<ArmedWait> {
    if (this.#listen && !this.#closed) await this.#listening();
    let fired = false;
    let wake: (() => void) | undefined;
    const hear = () => {
      fired = true;
      wake?.();
    };
    let set = this.#waiting.get(id);
    if (!set) this.#waiting.set(id, (set = new Set()));
    set.add(hear);
    const disarm = () => {
      const waiting = this.#waiting.get(id);
      waiting?.delete(hear);
      if (waiting?.size === 0) this.#waiting.delete(id);
    };
    return {
      disarm,
      wait: (signal) =>
        new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            disarm();
            resolve();
          };
          const timer = setTimeout(done, this.pollMs);
          if (fired || this.#closed || signal?.aborted) {
            done();
            return;
          }
          wake = done;
          signal?.addEventListener("abort", done, { once: true });
        }),
    };
  }

  /** Whether close() was called: followers end. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Wakes every follower and closes the listening connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeAll();
    const listener = await this.#listener?.catch(() => undefined);
    await listener?.close();
  }

  /** The listening connection, opened once (a failure is logged, and followers poll until the next try). */
  #listening(): Promise<unknown> {
    this.#listener ??= this.#listen!().then(
      (listener) => {
        this.#up = true;
        return listener;
      },
      (error: unknown) => {
        this.#logger.warn(`openai-responses-store: cannot LISTEN for response events, polling instead: ${(error as Error).message}`);
        setTimeout(() => (this.#listener = undefined), FOLLOW_POLL_MS.notified).unref();
        return undefined;
      },
    );
    return this.#listener;
  }

  #wake(id: string): void {
    for (const done of [...(this.#waiting.get(id) ?? [])]) done();
  }

  #wakeAll(): void {
    for (const set of [...this.#waiting.values()]) for (const done of [...set]) done();
  }
}
