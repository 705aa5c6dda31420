import { Module } from "@nestjs/common";
import { ResponsesStoreModule } from "openai-responses-store/nest";
import { HistoryController } from "./history.controller";

@Module({
  imports: [ResponsesStoreModule.forRoot({ url: process.env.DATABASE_URL ?? "file:./responses.db", isGlobal: true })],
  controllers: [HistoryController],
})
export class AppModule {}
