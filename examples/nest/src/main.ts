import "reflect-metadata";
import { HttpAdapterHost, NestFactory } from "@nestjs/core";
import { ResponsesStoreExceptionFilter } from "openai-responses-store/nest";
import { AppModule } from "./app.module";

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.useGlobalFilters(new ResponsesStoreExceptionFilter(app.get(HttpAdapterHost))); // store errors → 404/400 JSON
  app.enableShutdownHooks(); // SIGTERM: flush queued writes, stop HTTP, close the store
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  console.log(`Listening on http://localhost:${port}/history`);
}
void bootstrap();
