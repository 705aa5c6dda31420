/** openai-responses-store/nest: the NestJS integration. */
export {
  ResponsesStoreModule,
  InjectResponsesStore,
  type ResponsesStoreModuleOptions,
  type ResponsesStoreModuleAsyncOptions,
} from "./responses-store.module.js";
export { ResponsesStoreExceptionFilter } from "./exception-filter.js";
export { RESPONSES_STORE, RESPONSES_STORE_OPTIONS } from "./tokens.js";
