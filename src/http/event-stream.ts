/**
 * A response's events as server-sent events, as the Responses API streams them: `event: <type>` and `data: <json>` per event.
 *
 * The stream ends after the terminal event (the iterator ends), when the client goes away (the
 * iterator is returned), or on a storage failure, which is sent as an `error` event first (the
 * client may resume with `starting_after` = the last sequence number it got). While it waits for
 * an event it sends an SSE comment every `heartbeatMs`, so that proxies that close quiet
 * connections keep it open (clients, the SDK's included, skip comments).
 */
import { isResponsesStoreError } from "../errors.js";
import type { ResponseStreamEvent } from "../types.js";

/** How often a waiting stream sends a comment line. */
const HEARTBEAT_MS = 15_000;

/** The SSE lines of one event. */
function frame(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A streaming HTTP answer of `events` (text/event-stream). */
export function eventStream(events: AsyncIterableIterator<ResponseStreamEvent>, heartbeatMs = HEARTBEAT_MS): Response {
  const encoder = new TextEncoder();
  let last = -1;
  let pending: Promise<IteratorResult<ResponseStreamEvent>> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        pending ??= events.next();
        let timer: NodeJS.Timeout | undefined;
        const beat = new Promise<"beat">((resolve) => (timer = setTimeout(() => resolve("beat"), heartbeatMs)));
        const next = await Promise.race([pending, beat]).finally(() => clearTimeout(timer));
        if (next === "beat") {
          controller.enqueue(encoder.encode(": keep-alive\n\n")); // the event is still awaited, at the next pull
          return;
        }
        pending = undefined;
        if (next.done) {
          controller.close();
          return;
        }
        last = next.value.sequence_number;
        controller.enqueue(encoder.encode(frame(next.value)));
      } catch (error) {
        const code = isResponsesStoreError(error) ? error.code.toLowerCase() : "server_error";
        const message = isResponsesStoreError(error) ? error.message : "The event stream failed";
        controller.enqueue(encoder.encode(frame({ type: "error", sequence_number: last + 1, code, message, param: null })));
        controller.close();
      }
    },
    async cancel() {
      await events.return?.();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
  });
}
