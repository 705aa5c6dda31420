/** Injection tokens of the Nest integration. */

/**
 * The ResponsesStore instance. Inject with `@InjectResponsesStore()` or `@Inject(RESPONSES_STORE)`.
 *
 * @example
 * ```ts
 * const store = app.get<ResponsesStore>(RESPONSES_STORE);
 * ```
 */
export const RESPONSES_STORE: unique symbol = Symbol.for("openai-responses-store.nest.store");

/**
 * The options the store was created with.
 *
 * @example
 * ```ts
 * const options = app.get<ResponsesStoreOptions>(RESPONSES_STORE_OPTIONS);
 * ```
 */
export const RESPONSES_STORE_OPTIONS: unique symbol = Symbol.for("openai-responses-store.nest.options");
