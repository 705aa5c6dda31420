// One store per process, reused across requests and hot reloads (see openai-responses-store/next).
import { getResponsesStore } from "openai-responses-store/next";

export const store = () => getResponsesStore({ url: process.env.DATABASE_URL ?? "file:./responses.db" });

/**
 * The caller of a request. Replace with your auth (NextAuth, Clerk, a JWT...): here the
 * principal comes from an `x-user` header, which only a trusted proxy may set.
 */
export function authenticate(request: Request) {
  const principal = request.headers.get("x-user");
  return principal ? { principal } : null;
}
