import { Controller, Delete, Get, Headers, Param, Query } from "@nestjs/common";
import { ResponsesStore, type User } from "openai-responses-store";
import type { OpenAIStoreTypes } from "openai-responses-store/openai";

/** A user's stored responses. Replace the x-user header with your own auth guard. */
@Controller("history")
export class HistoryController {
  // Injected by class: this app's build emits decorator metadata. (@InjectResponsesStore() works too.)
  // Typed with the openai SDK's types: what it returns is OpenAI.Responses.Response, with no casts.
  constructor(private readonly store: ResponsesStore<OpenAIStoreTypes>) {}

  private user(principal?: string): User | null {
    return principal ? { principal } : null;
  }

  @Get()
  list(@Headers("x-user") principal?: string, @Query("after") after?: string, @Query("limit") limit?: string) {
    return this.store.listResponses({ user: this.user(principal), after, limit: limit ? Number(limit) : undefined });
  }

  @Get(":id")
  get(@Param("id") id: string, @Headers("x-user") principal?: string) {
    return this.store.getResponseObject(id, { user: this.user(principal) });
  }

  @Get(":id/input_items")
  inputItems(@Param("id") id: string, @Headers("x-user") principal?: string) {
    return this.store.listResponseInputItems(id, { user: this.user(principal) });
  }

  @Delete(":id")
  remove(@Param("id") id: string, @Headers("x-user") principal?: string) {
    return this.store.deleteResponseObject(id, { user: this.user(principal) });
  }
}
