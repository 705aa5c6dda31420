/**
 * A response's events as server-sent events, as the Responses API streams them: `event: <type>` and `data: <json>` per event.
 *
 * The stream ends after the terminal event (the iterator ends), when the client goes away (the
 * iterator is returned), or on a storage failure, which is sent as an `error` event first (the
 * client may resume with `starting_after` = the last sequence number it got).
 */
import { isResponsesStoreError } from "../errors.js";
import type { ResponseStreamEvent } from "../types.js";

/** The SSE lines of one event. */
function frame(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A streaming HTTP answer of `events` (text/event-stream). */
export function eventStream(events: AsyncIterableIterator<ResponseStreamEvent>): Response {
  const encoder = new TextEncoder();
  let last = -1;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
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
