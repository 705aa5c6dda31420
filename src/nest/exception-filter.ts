/**
 * ResponsesStoreExceptionFilter: store errors answered as the Responses API's HTTP errors in Nest.
 *
 * 404 for missing or not-yours, 400 for bad parameters, …: the map in http/error-body.ts; any
 * other exception goes to Nest's own handling. Platform-neutral (Express or Fastify).
 */
import { Catch, Inject, Optional, type ArgumentsHost } from "@nestjs/common";
import { BaseExceptionFilter, HttpAdapterHost } from "@nestjs/core";
import { isResponsesStoreError } from "../errors.js";
import { responseForError } from "../http/error-body.js";

/**
 * Answers store errors as the Responses API's HTTP errors; passes every other exception to Nest.
 *
 * @example
 * ```ts
 * import { HttpAdapterHost } from "@nestjs/core";
 * // main.ts
 * app.useGlobalFilters(new ResponsesStoreExceptionFilter(app.get(HttpAdapterHost)));
 * // or, in a module: providers: [{ provide: APP_FILTER, useClass: ResponsesStoreExceptionFilter }]
 * ```
 */
@Catch()
export class ResponsesStoreExceptionFilter extends BaseExceptionFilter {
  readonly #adapterHost: HttpAdapterHost | undefined;

  /**
   * Over the app's HTTP adapter (Nest injects it; without one, every exception is Nest's).
   *
   * @example
   * ```ts
   * import { HttpAdapterHost } from "@nestjs/core";
   * const filter = new ResponsesStoreExceptionFilter(app.get(HttpAdapterHost));
   * ```
   */
  constructor(@Optional() @Inject(HttpAdapterHost) adapterHost?: HttpAdapterHost) {
    super(adapterHost?.httpAdapter);
    this.#adapterHost = adapterHost;
  }

  /**
   * Answers a store error on an HTTP request as the Responses API does; hands anything else to Nest.
   *
   * @example
   * ```ts
   * import { HttpAdapterHost } from "@nestjs/core";
   * // Nest calls it; by hand: filter.catch(new ResponseNotFoundError("resp_1"), host)
   * app.useGlobalFilters(new ResponsesStoreExceptionFilter(app.get(HttpAdapterHost)));
   * ```
   */
  override catch(exception: unknown, host: ArgumentsHost): void {
    const adapter = this.#adapterHost?.httpAdapter;
    if (!isResponsesStoreError(exception) || host.getType() !== "http" || !adapter) {
      super.catch(exception, host);
      return;
    }
    const response = responseForError(exception);
    void response.json().then((body) => {
      const res = host.switchToHttp().getResponse<unknown>();
      const retryAfter = response.headers.get("retry-after");
      if (retryAfter) adapter.setHeader(res, "retry-after", retryAfter);
      adapter.reply(res, body, response.status);
    });
  }
}
