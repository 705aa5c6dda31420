// The event stream's wire format, without a database: events as SSE frames, comment lines while
// it waits (so proxies keep a quiet stream open), and a storage failure sent as an `error` event.
import { describe, expect, test } from "vitest";
import { StorageError, type ResponseStreamEvent } from "../../src/index.js";
import { eventStream } from "../../src/http/event-stream.js";

async function* slow(events: ResponseStreamEvent[], pauseMs: number, fail?: Error): AsyncGenerator<ResponseStreamEvent> {
  for (const event of events) {
    await new Promise((r) => setTimeout(r, pauseMs));
    yield event;
  }
  if (fail) throw fail;
}

describe("event stream", () => {
  test("sends each event as `event:` and `data:` lines, and comments while it waits", async () => {
    const text = await eventStream(slow([{ type: "response.created", sequence_number: 0 }], 80), 10).text();
    const [beats, rest] = [text.slice(0, text.indexOf("event:")), text.slice(text.indexOf("event:"))];
    expect(beats).toMatch(/^(: keep-alive\n\n)+$/);
    expect(rest).toBe('event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n');
  });

  test("a failure ends the stream with an error event after the last one sent", async () => {
    const failing = slow(
      [{ type: "response.output_text.delta", sequence_number: 7 }],
      1,
      new StorageError("responseEvents", true, { cause: new Error("connection lost") }),
    );
    const frames = (await eventStream(failing, 60_000).text()).trim().split("\n\n");
    expect(frames).toHaveLength(2);
    expect(frames[1]).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(frames[1]!.split("data: ")[1]!)).toMatchObject({ type: "error", sequence_number: 8, code: "storage_failed" });
  });
});
