import { Controller, Delete, Get, Headers, Param, Query } from "@nestjs/common";
import { ResponsesStore, type User } from "openai-responses-store";

/** A user's stored responses. Replace the x-user header with your own auth guard. */
@Controller("history")
export class HistoryController {
  // Injected by class: this app's build emits decorator metadata. (@InjectResponsesStore() works too.)
  constructor(private readonly store: ResponsesStore) {}

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
