// The Responses API under /v1: GET/DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items,
// GET /v1/responses. The official `openai` SDK works against it with baseURL ".../v1".
import { createResponsesHandler } from "openai-responses-store";
import { toNextRouteHandlers } from "openai-responses-store/next";
import { authenticate, store } from "../../../lib/store";

export const runtime = "nodejs"; // better-sqlite3 and pg need Node, not the Edge runtime
export const dynamic = "force-dynamic";

export const { GET, POST, DELETE, HEAD } = toNextRouteHandlers(async (request) =>
  createResponsesHandler(await store(), { authenticate })(request),
);
