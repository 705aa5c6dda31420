/**
 * Method and path to store call, as a table, and what the HTTP layer needs of a store.
 *
 * Method + path → store operation, as a table: the Responses API's routes (retrieve, delete, input
 * items), the list extension the reference adds (GET /responses), and the Conversations API's
 * routes (conversations and their items).
 */
import type { ResponsesStore } from "../store.js";

/**
 * What the HTTP layer uses of a store: the four calls of the Responses API it serves, and (where
 * it has them) `conversations`, whose routes answer 404 without it, and `consistencyToken`, sent
 * after each write. Any object with these methods can be served (a wrapper that logs or caches,
 * a test double).
 *
 * @example
 * ```ts
 * const api: ResponsesApi = store; // a ResponsesStore is one
 * const handler = createResponsesHandler(api);
 * ```
 */
export type ResponsesApi = Pick<ResponsesStore, "getResponseObject" | "listResponses" | "deleteResponseObject" | "listResponseInputItems"> &
  Partial<Pick<ResponsesStore, "consistencyToken" | "conversations" | "cancelResponse" | "responseEvents">>;
import type { ReadOptions, User } from "../schemas/params.js";
import { ConversationNotFoundError, InvalidParameterError, ResponseNotFoundError } from "../errors.js";
import { eventStream } from "./event-stream.js";

/** The methods routes answer: GET reads; POST and DELETE write. */
export type Method = "GET" | "POST" | "DELETE";

/** One route: a pattern of path segments (`:id` captures) and a handler per method. */
export interface Route {
  pattern: string[];
  methods: Partial<Record<Method, (call: RouteCall) => Promise<unknown>>>;
}

/** The request header that carries a consistency token to a read, and the current one back after a write. */
export const CONSISTENCY_HEADER = "x-consistency-token";

/** What a route handler gets. */
interface RouteCall {
  store: ResponsesApi;
  params: Record<string, string>;
  query: URLSearchParams;
  user: User | null;
  /** What the request's reads must have seen (its x-consistency-token). */
  read: ReadOptions;
  /** A POST's JSON body, parsed (an object; `{}` when empty). */
  body: Record<string, unknown>;
  /** Aborted when the client goes away (ends a followed event stream). */
  signal: AbortSignal;
}

/** The store's conversations, or the 404 of a store that has none. */
function conversationsOf(store: ResponsesApi): NonNullable<ResponsesApi["conversations"]> {
  if (!store.conversations) throw new ConversationNotFoundError("(conversations are not served)");
  return store.conversations;
}

/** A query parameter as a number, or the raw string (so validation names it), or undefined. */
function numberParam(query: URLSearchParams, name: string): number | string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
}

/** A query parameter as a boolean ("true"/"false"), or the raw string (so validation names it), or undefined. */
function booleanParam(query: URLSearchParams, name: string): boolean | string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  return raw === "true" ? true : raw === "false" ? false : raw;
}

/** `include` given as `include[]=a&include[]=b` (the SDK's form) or `include=a&include=b`. */
function includeParam(query: URLSearchParams): string[] | undefined {
  const values = [...query.getAll("include[]"), ...query.getAll("include")].flatMap((v) => v.split(",")).filter(Boolean);
  return values.length ? values : undefined;
}

const str = (query: URLSearchParams, name: string) => query.get(name) ?? undefined;

const ROUTES: Route[] = [
  {
    pattern: ["responses"],
    methods: {
      GET: ({ store, query, user, read }) =>
        store.listResponses({
          ...read,
          after: str(query, "after"),
          includeInput: booleanParam(query, "include_input") as boolean | undefined,
          limit: numberParam(query, "limit") as number | undefined,
          model: str(query, "model"),
          order: str(query, "order") as "asc" | "desc" | undefined,
          user,
        }),
    },
  },
  {
    pattern: ["responses", ":id"],
    methods: {
      GET: async ({ store, params, query, user, read, signal }) => {
        if (query.get("stream") === "true") {
          if (!store.responseEvents)
            throw new InvalidParameterError("stream", "Streaming a stored response is not supported by this server");
          const startingAfter = numberParam(query, "starting_after");
          if (typeof startingAfter === "string")
            throw new InvalidParameterError("starting_after", "Invalid value for 'starting_after': expected an integer sequence number");
          // Checked before the answer starts: a missing response is still a 404, a bad cursor a 400.
          const events = await store.responseEvents(params.id!, { user, startingAfter, signal });
          return eventStream(events);
        }
        // The API returns the response object itself: no stored input, no internal messages.
        const { input: _input, messages: _messages, ...response } = await store.getResponseObject(params.id!, { user, ...read });
        return response;
      },
      DELETE: ({ store, params, user }) => store.deleteResponseObject(params.id!, { user }),
    },
  },
  {
    pattern: ["responses", ":id", "input_items"],
    methods: {
      GET: ({ store, params, query, user, read }) =>
        store.listResponseInputItems(params.id!, {
          ...read,
          after: str(query, "after"),
          before: str(query, "before"),
          include: includeParam(query) as never,
          limit: numberParam(query, "limit") as number | undefined,
          order: str(query, "order") as "asc" | "desc" | undefined,
          user,
        }),
    },
  },
  {
    pattern: ["responses", ":id", "cancel"],
    methods: {
      POST: ({ store, params, user }) => {
        if (!store.cancelResponse) throw new ResponseNotFoundError(params.id!);
        return store.cancelResponse(params.id!, { user });
      },
    },
  },
  {
    pattern: ["conversations"],
    methods: {
      POST: ({ store, body, user }) =>
        conversationsOf(store).create({ metadata: body.metadata as never, items: body.items as never, user }),
    },
  },
  {
    pattern: ["conversations", ":id"],
    methods: {
      GET: ({ store, params, user, read }) => conversationsOf(store).retrieve(params.id!, { user, ...read }),
      POST: ({ store, params, body, user }) => conversationsOf(store).update(params.id!, { metadata: body.metadata as never, user }),
      DELETE: ({ store, params, user }) => conversationsOf(store).delete(params.id!, { user }),
    },
  },
  {
    pattern: ["conversations", ":id", "items"],
    methods: {
      GET: ({ store, params, query, user, read }) =>
        conversationsOf(store).items.list(params.id!, {
          ...read,
          after: str(query, "after"),
          include: includeParam(query) as never,
          limit: numberParam(query, "limit") as number | undefined,
          order: str(query, "order") as "asc" | "desc" | undefined,
          user,
        }),
      POST: ({ store, params, body, user }) => conversationsOf(store).items.create(params.id!, body.items as never, { user }),
    },
  },
  {
    pattern: ["conversations", ":id", "items", ":item_id"],
    methods: {
      GET: ({ store, params, query, user, read }) =>
        conversationsOf(store).items.retrieve(params.id!, params.item_id!, { ...read, include: includeParam(query) as never, user }),
      DELETE: ({ store, params, user }) => conversationsOf(store).items.delete(params.id!, params.item_id!, { user }),
    },
  },
];

/** The route and captured parameters for a path (segments after the base path), if any. */
export function matchRoute(segments: string[]): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    if (route.pattern.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = segments[i]!), true) : p === segments[i]))) {
      return { route, params };
    }
  }
  return undefined;
}
