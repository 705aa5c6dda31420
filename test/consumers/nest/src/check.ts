// A NestJS app (compiled to CommonJS) takes the store from the module and uses the SDK's types.
import "reflect-metadata";
import { strict as assert } from "node:assert";
import { Injectable, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import OpenAI from "openai";
import { ResponsesStore } from "openai-responses-store";
import { InjectResponsesStore, ResponsesStoreModule } from "openai-responses-store/nest";
import type { OpenAIStoreTypes } from "openai-responses-store/openai";

@Injectable()
class HistoryService {
  constructor(@InjectResponsesStore() private readonly store: ResponsesStore<OpenAIStoreTypes>) {}

  async roundTrip(response: OpenAI.Responses.Response, input: OpenAI.Responses.ResponseInput): Promise<OpenAI.Responses.Response[]> {
    await this.store.storeResponseObject(response, input);
    const stored: OpenAI.Responses.Response = await this.store.getResponseObject(response.id);
    return [stored, ...(await this.store.listResponses({ includeInput: false })).data];
  }
}

@Module({
  imports: [ResponsesStoreModule.forRoot({ url: process.env.DATABASE_URL ?? "file:./consumer.db" })],
  providers: [HistoryService],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  try {
    // A Response as the SDK returns one: its client over a fetch that answers as the API does.
    const body = { id: "resp_nest", object: "response", created_at: 1_732_406_400, model: "gpt-4o", status: "completed", output: [] };
    const json = () => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    const openai = new OpenAI({ apiKey: "unused", fetch: async () => json() });
    const response: OpenAI.Responses.Response = await openai.responses.create({ model: "gpt-4o", input: "Hi" });
    const [stored, listed] = await app.get(HistoryService).roundTrip(response, [{ role: "user", content: "Hi" }]);
    assert.equal(stored?.id, "resp_nest");
    assert.equal(listed?.id, "resp_nest");
    assert.ok(app.get(ResponsesStore) instanceof ResponsesStore, "the store is injectable by class too");
    console.log(`consumer (Nest, ${typeof require === "function" ? "CommonJS" : "ESM"}): store, get and list ok`);
  } finally {
    await app.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
