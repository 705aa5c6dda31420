/**
 * openai-responses-store/next: the store in a Next.js App Router app, one per URL per process.
 *
 * The store is kept on globalThis so that `next dev`'s module re-evaluation (hot reload) reuses it
 * instead of opening a new pool each time, and the promise is cached so concurrent first requests
 * share one initialize(). Node runtime only.
 */
import { ConfigurationError } from "../errors.js";
import { createResponsesStore, type ResponsesStore } from "../store.js";
import { defaultUrl } from "../db/providers.js";
import type { ResponsesStoreOptions } from "../options.js";
import type { StoreTypes } from "../shapes.js";

const CACHE = Symbol.for("openai-responses-store.next");
type Cache = Map<string, Promise<ResponsesStore>>;

function cache(): Cache {
  const g = globalThis as { [CACHE]?: Cache };
  return (g[CACHE] ??= new Map<string, Promise<ResponsesStore>>());
}

/**
 * The process's store for `options.url` (default DATABASE_URL, else file:./responses.db),
 * created and initialized on first use and reused afterwards, across hot reloads too. `T`: the
 * types it keeps ({@link StoreTypes}), as `createResponsesStore` takes them.
 *
 * @example
 * ```ts
 * // lib/store.ts
 * export const store = () => getResponsesStore({ url: process.env.DATABASE_URL });
 * ```
 * @throws ConfigurationError on the Edge runtime (better-sqlite3 and pg need Node).
 */
export function getResponsesStore<T extends StoreTypes = StoreTypes>(options: ResponsesStoreOptions = {}): Promise<ResponsesStore<T>> {
  if (process.env.NEXT_RUNTIME === "edge") {
    throw new ConfigurationError(
      "runtime",
      'openai-responses-store needs the Node.js runtime: add `export const runtime = "nodejs"` to the route',
    );
  }
  const url = options.url ?? defaultUrl();
  const stores = cache();
  let store = stores.get(url);
  if (!store) {
    store = createResponsesStore({ ...options, url });
    stores.set(url, store);
    store.catch(() => stores.delete(url)); // a failed start (database down) is retried by the next request
  }
  // One store per URL whatever a caller names its types: they describe what its writes took.
  return store as Promise<ResponsesStore<T>>;
}

/**
 * Route handlers for `app/<base>/[...path]/route.ts`.
 *
 * @example
 * ```ts
 * const { GET, DELETE }: NextRouteHandlers = toNextRouteHandlers(async (req) => createResponsesHandler(await getResponsesStore())(req));
 * ```
 */
export interface NextRouteHandlers {
  GET: (request: Request) => Promise<Response>;
  /** The Conversations API's writes (create, update, add items). */
  POST: (request: Request) => Promise<Response>;
  DELETE: (request: Request) => Promise<Response>;
  HEAD: (request: Request) => Promise<Response>;
}

/**
 * Exports for an App Router catch-all route from a Fetch handler (createResponsesHandler).
 *
 * @example
 * ```ts
 * // app/v1/[...path]/route.ts
 * export const runtime = "nodejs";
 * export const { GET, POST, DELETE } = toNextRouteHandlers(async (req) =>
 *   createResponsesHandler(await getResponsesStore(), { authenticate })(req));
 * ```
 */
export function toNextRouteHandlers(handler: (request: Request) => Promise<Response>): NextRouteHandlers {
  return { GET: handler, POST: handler, DELETE: handler, HEAD: handler };
}
