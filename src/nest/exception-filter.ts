/**
 * ResponsesStoreExceptionFilter: store errors as the Responses API's HTTP errors (404 for
 * missing or not-yours, 400 for bad parameters, …), the map in http/error-body.ts; any other
 * exception goes to Nest's own handling. Platform-neutral (Express or Fastify).
 */
import { Catch, Inject, Optional, type ArgumentsHost } from "@nestjs/common";
import { BaseExceptionFilter, HttpAdapterHost } from "@nestjs/core";
import { isResponsesStoreError } from "../errors.js";
import { responseForError } from "../http/error-body.js";

/**
 * @example
 * ```ts
 * // main.ts
 * app.useGlobalFilters(new ResponsesStoreExceptionFilter(app.get(HttpAdapterHost)));
 * // or, in a module: providers: [{ provide: APP_FILTER, useClass: ResponsesStoreExceptionFilter }]
 * ```
 */
@Catch()
export class ResponsesStoreExceptionFilter extends BaseExceptionFilter {
  readonly #adapterHost: HttpAdapterHost | undefined;

  constructor(@Optional() @Inject(HttpAdapterHost) adapterHost?: HttpAdapterHost) {
    super(adapterHost?.httpAdapter);
    this.#adapterHost = adapterHost;
  }

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
