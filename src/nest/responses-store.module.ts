/**
 * ResponsesStoreModule: the store as a Nest provider, drained and closed at the right moments of shutdown.
 *
 * Created once (forRoot / forRootAsync), flushed in beforeApplicationShutdown and shut down in
 * onApplicationShutdown. Nest closes the HTTP server between those two hooks, so in-flight
 * requests finish their writes before the store closes (onModuleDestroy would close it while
 * requests still arrive).
 */
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
} from "@nestjs/common";
import type { ResponsesStoreOptions } from "../options.js";
import { ResponsesStore, createResponsesStore } from "../store.js";
import { RESPONSES_STORE, RESPONSES_STORE_OPTIONS } from "./tokens.js";

/**
 * Options of `forRoot`: the store's options, and whether the module is global.
 *
 * @example
 * ```ts
 * const options: ResponsesStoreModuleOptions = { url: process.env.DATABASE_URL, isGlobal: true };
 * ResponsesStoreModule.forRoot(options);
 * ```
 */
export interface ResponsesStoreModuleOptions extends ResponsesStoreOptions {
  /** Make the store injectable everywhere without importing the module. @default false */
  isGlobal?: boolean;
}

/**
 * Options of `forRootAsync`: the store's options from a factory (for ConfigService and the like).
 *
 * @example
 * ```ts
 * const options: ResponsesStoreModuleAsyncOptions = { useFactory: () => ({ url: process.env.DATABASE_URL }), isGlobal: true };
 * ResponsesStoreModule.forRootAsync(options);
 * ```
 */
export interface ResponsesStoreModuleAsyncOptions {
  imports?: DynamicModule["imports"];
  inject?: unknown[];
  useFactory: (...args: never[]) => ResponsesStoreOptions | Promise<ResponsesStoreOptions>;
  /** @default false */
  isGlobal?: boolean;
}

/** Drains and closes the store at the right moments of Nest's shutdown. */
@Injectable()
class ResponsesStoreLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  readonly #store: ResponsesStore;

  constructor(@Inject(RESPONSES_STORE) store: ResponsesStore) {
    this.#store = store;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.#store.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#store.shutdown();
  }
}

/**
 * The store in a Nest app.
 *
 * @example
 * ```ts
 * @Module({ imports: [ResponsesStoreModule.forRoot({ url: process.env.DATABASE_URL, isGlobal: true })] })
 * export class AppModule {}
 *
 * @Controller("history")
 * export class HistoryController {
 *   constructor(@InjectResponsesStore() private readonly store: ResponsesStore) {}
 * }
 * // main.ts: app.enableShutdownHooks() so that SIGTERM drains queued writes.
 * ```
 */
@Module({})
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- Nest modules are classes with static factories
export class ResponsesStoreModule {
  static forRoot(options: ResponsesStoreModuleOptions = {}): DynamicModule {
    const { isGlobal = false, ...storeOptions } = options;
    return dynamicModule([{ provide: RESPONSES_STORE_OPTIONS, useValue: storeOptions }], [], isGlobal);
  }

  static forRootAsync(options: ResponsesStoreModuleAsyncOptions): DynamicModule {
    return dynamicModule(
      [{ provide: RESPONSES_STORE_OPTIONS, useFactory: options.useFactory, inject: (options.inject ?? []) as never[] }],
      options.imports ?? [],
      options.isGlobal ?? false,
    );
  }
}

function dynamicModule(optionsProviders: Provider[], imports: NonNullable<DynamicModule["imports"]>, global: boolean): DynamicModule {
  const providers: Provider[] = [
    ...optionsProviders,
    { provide: RESPONSES_STORE, useFactory: (o: ResponsesStoreOptions) => createResponsesStore(o), inject: [RESPONSES_STORE_OPTIONS] },
    // Hosts whose build emits decorator metadata can inject by class.
    { provide: ResponsesStore, useExisting: RESPONSES_STORE },
    ResponsesStoreLifecycle,
  ];
  return { module: ResponsesStoreModule, global, imports, providers, exports: [RESPONSES_STORE, ResponsesStore] };
}

/**
 * Parameter decorator that injects the store.
 *
 * @example
 * ```ts
 * class HistoryService {
 *   constructor(@InjectResponsesStore() readonly store: ResponsesStore) {}
 * }
 * ```
 */
export function InjectResponsesStore(): PropertyDecorator & ParameterDecorator {
  return Inject(RESPONSES_STORE);
}
