/**
 * The bodies of the response-event calls: append a response's streaming events, and replay them after a sequence number, then follow new ones.
 *
 * A follower reads the stored events after its position on the primary (a replica may lag), in
 * pages; then, until the response's terminal event, waits to be woken (a notification on
 * PostgreSQL, a poll elsewhere) and reads again. It ends at a terminal event, when the response
 * reaches a final status and no event is left, when it is deleted, when the caller aborts, after
 * `idleMs` without a new event, or when the store shuts down.
 */
import type { RowCondition } from "../access/where.js";
import { validate } from "../schemas/arguments.js";
import { FINAL_STATUSES } from "../repository/final-states.js";
import type { ResponseEventsRepository } from "../repository/response-events-repository.js";
import type { ResponseStreamEvent } from "../types.js";
import { InvalidParameterError, ResponseNotFoundError } from "../errors.js";
import type { StoreRuntime } from "./runtime.js";
import type { ArmedWait } from "./event-waker.js";

/** Event types after which a response's stream has nothing more. */
const TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  "response.completed",
  "response.failed",
  "response.incomplete",
  "response.cancelled",
  "error",
]);

/** One read of a follower: events after its position, and the response's status. */
type EventsPage = Awaited<ReturnType<ResponseEventsRepository["after"]>>;

/** Events a follower reads per query. */
const PAGE = 500;

/** How a stream of stored events is read. */
export interface FollowOptions {
  /** Only the events after this sequence number (the hosted API's `starting_after`). */
  startingAfter: number | undefined;
  /** Keep waiting for new events until the terminal one (else: the stored ones, then end). */
  follow: boolean;
  /** End a follow after this long without a new event. */
  idleMs: number;
  signal: AbortSignal | undefined;
}

/** The response-event calls over one runtime. */
export class ResponseEventOperations {
  readonly #runtime: StoreRuntime;

  constructor(runtime: StoreRuntime) {
    this.#runtime = runtime;
  }

  /** Validates and appends `events` to response `id`, after its queued writes; the last sequence number stored. */
  append(id: string, events: unknown, readable: RowCondition, writable: RowCondition): Promise<number> {
    validate("events", events);
    // Captured at the call: what the caller changes afterwards is not what it asked to store.
    const given = structuredClone(events as ResponseStreamEvent[]);
    return this.#runtime.onPrimary({ id }, ({ events: repository }) =>
      repository.append(id, given, readable, writable, Math.floor(Date.now() / 1000)),
    );
  }

  /**
   * The events of response `id` after `startingAfter`, as an async iterator; the response must
   * exist and be readable (checked before this resolves, so an HTTP answer can still be a 404).
   */
  async open(id: string, readable: RowCondition, options: FollowOptions): Promise<AsyncIterableIterator<ResponseStreamEvent>> {
    const armed = options.follow ? await this.#runtime.events.arm(id) : undefined;
    try {
      const first = await this.#runtime.onPrimary({ id }, ({ events }) => events.after(id, options.startingAfter ?? -1, PAGE, readable));
      if (!first.exists) throw new ResponseNotFoundError(id);
      // A response that has ended with no event stored has no stream to replay (one stored and
      // not streamed, as most are): a 400 that says so, not an empty 200 stream.
      if (options.startingAfter === undefined && !first.events.length && first.status !== null && FINAL_STATUSES.has(first.status))
        throw new InvalidParameterError("stream", `Response ${id} has no stored events to stream: it ended without any being appended`);
      return this.#follow(id, readable, options, first, armed);
    } catch (error) {
      armed?.disarm();
      throw error;
    }
  }

  async *#follow(
    id: string,
    readable: RowCondition,
    { startingAfter, follow, idleMs, signal }: FollowOptions,
    first: EventsPage,
    firstArmed: ArmedWait | undefined,
  ): AsyncGenerator<ResponseStreamEvent, void, undefined> {
    const waker = this.#runtime.events;
    let last = startingAfter ?? -1;
    let page = first;
    let armed = firstArmed; // armed before each read: an append during the read still wakes the wait after it
    let quietSince = Date.now();
    try {
      for (;;) {
        for (const event of page.events) {
          yield event;
          last = event.sequence_number;
          if (TERMINAL_EVENTS.has(event.type)) return;
        }
        // After a read that found events, read again at once; wait only after a read that found none.
        if (page.events.length) quietSince = Date.now();
        else {
          if (!follow || !page.exists || (page.status !== null && FINAL_STATUSES.has(page.status))) return;
          if (signal?.aborted || waker.closed || Date.now() - quietSince >= idleMs) return;
          await armed?.wait(signal);
          if (signal?.aborted || waker.closed) return;
        }
        armed?.disarm();
        armed = follow ? await waker.arm(id) : undefined;
        page = await this.#runtime.onPrimary("none", ({ events }) => events.after(id, last, PAGE, readable));
      }
    } finally {
      armed?.disarm();
    }
  }
}
