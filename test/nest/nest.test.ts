// openai-responses-store/nest in a real Nest app (Express, on loopback): injection by token and
// by class, forRootAsync, the exception filter's HTTP errors, and the shutdown order that lets
// queued writes drain (flush before the HTTP server closes, shutdown after it).
import "reflect-metadata";
import { Controller, Get, Injectable, Module, Param, Post } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import { Test } from "@nestjs/testing";
import { afterAll, describe, expect, test } from "vitest";
import { ResponsesStore, createResponsesStore } from "../../src/index.js";
import { InjectResponsesStore, RESPONSES_STORE, ResponsesStoreExceptionFilter, ResponsesStoreModule } from "../../src/nest/index.js";
import { PROVIDERS, freshDatabase } from "../support/databases.js";
import { listAllIds, makeResponse, silentLogger } from "../support/fixtures.js";

@Controller("history")
class HistoryController {
  constructor(@InjectResponsesStore() private readonly store: ResponsesStore) {}

  @Get(":id")
  get(@Param("id") id: string) {
    return this.store.getResponseObject(id);
  }

  @Post(":n")
  fireAndForget(@Param("n") n: string) {
    for (let i = 0; i < Number(n); i++) void this.store.storeResponseObject(makeResponse({ id: `resp_ff_${i}` }), []);
    return { queued: Number(n) };
  }
}

@Injectable()
class Config {
  constructor(readonly url: string) {}
}

describe.each(PROVIDERS)("NestJS integration on $label", async (provider) => {
  const db = await freshDatabase(provider);
  afterAll(() => db.drop());

  async function start(moduleImport: ReturnType<typeof ResponsesStoreModule.forRoot>) {
    const moduleRef = await Test.createTestingModule({ imports: [moduleImport], controllers: [HistoryController] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ResponsesStoreExceptionFilter(app.get(HttpAdapterHost)));
    app.enableShutdownHooks();
    await app.listen(0, "127.0.0.1");
    return { app, origin: await app.getUrl() };
  }

  test("the store is injectable by token and by class; store errors become API errors", async () => {
    const { app, origin } = await start(ResponsesStoreModule.forRoot({ url: db.url, logger: silentLogger }));
    try {
      const byToken = app.get<ResponsesStore>(RESPONSES_STORE);
      expect(app.get(ResponsesStore)).toBe(byToken);
      await byToken.storeResponseObject(makeResponse({ id: "resp_nest" }), []);
      const ok = await fetch(`${origin}/history/resp_nest`);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { id: string }).id).toBe("resp_nest");
      const missing = await fetch(`${origin}/history/resp_nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: {
          message: "Response with id resp_nope not found",
          type: "invalid_request_error",
          param: "response_id",
          code: "response_not_found",
        },
      });
      expect((await fetch(`${origin}/nowhere`)).status).toBe(404); // Nest's own errors still work
    } finally {
      await app.close();
    }
  });

  test("forRootAsync takes its options from a factory with injected dependencies", async () => {
    @Module({ providers: [{ provide: Config, useValue: new Config(db.url) }], exports: [Config] })
    class ConfigModule {}
    const { app } = await start(
      ResponsesStoreModule.forRootAsync({
        imports: [ConfigModule],
        inject: [Config],
        useFactory: (c: Config) => ({ url: c.url, logger: silentLogger }),
      }),
    );
    try {
      expect(app.get<ResponsesStore>(RESPONSES_STORE).provider).toBe(provider.name);
    } finally {
      await app.close();
    }
  });

  test("on close, writes queued by requests drain: flush before the HTTP server stops, shutdown after", async () => {
    const { app, origin } = await start(
      ResponsesStoreModule.forRoot({ url: db.url, logger: silentLogger, queue: { enabled: true, batchSize: 5, concurrency: 1 } }),
    );
    const store = app.get<ResponsesStore>(RESPONSES_STORE);
    const events: string[] = [];
    const flush = store.flush.bind(store);
    const shutdown = store.shutdown.bind(store);
    store.flush = async () => (events.push("flush"), flush());
    store.shutdown = async () => (events.push("shutdown"), shutdown());
    app.getHttpServer().on("close", () => events.push("http closed"));

    expect(await (await fetch(`${origin}/history/200`, { method: "POST" })).json()).toEqual({ queued: 200 });
    await app.close();
    expect(events.filter((e, i) => events.indexOf(e) === i)).toEqual(["flush", "http closed", "shutdown"]);

    const reader = await createResponsesStore({ url: db.url, logger: silentLogger });
    expect((await listAllIds(reader)).filter((id) => id.startsWith("resp_ff_"))).toHaveLength(200);
    await reader.shutdown();
  });
});
