/**
 * The package's root entry: re-exports only (no logic, nothing from next/, nest/ or cli/).
 *
 * openai-responses-store: persistence for OpenAI Responses API objects on SQLite, PostgreSQL and
 * MySQL/MariaDB.
 */
export { ResponsesStore, createResponsesStore } from "./store.js";
export type {
  Conversations,
  ConversationItems,
  ConversationObject,
  ConversationItemOptions,
  ConversationItemsParams,
  CreateConversationParams,
  UpdateConversationParams,
} from "./conversations.js";
export { shutdownOnSignals } from "./signals.js";
export type { WriteQueueOptions, WriteQueueStats } from "./queue/write-queue.js";
export type { StoreStats } from "./store/runtime.js";
export type { RetentionStats } from "./store/retention.js";
export { parseDuration } from "./duration.js";
export type {
  CallOptions,
  ReadCallOptions,
  CompactParams,
  DeleteResult,
  ImportRecord,
  ImportResult,
  PruneParams,
  PruneResult,
  ResponseEventsOptions,
  ResponseStreamEvent,
  ListedInputItem,
  ResponseWithInput,
  StorageCounts,
  StorageStats,
  StorageStatsParams,
  StoredResponse,
  UpdateOptions,
} from "./types.js";
export type { DriverAdapterFactory, Logger, ResponsesStoreOptions } from "./options.js";
export type { PrismaClientLike } from "./db/client.js";
export type { FallbackReason, ReplicaStats } from "./db/replicas.js";
export type { ListPage, Order } from "./types.js";
export type { ChatCompletionMessage, ContentPart, InputItem, Open, OutputItem, ResponseObject, StoreTypes } from "./shapes.js";
export { responseObjectSchema } from "./schemas/response.js";
export { inputItemSchema } from "./schemas/input-item.js";
export { chatCompletionMessageSchema } from "./schemas/message.js";
export { INCLUDE_VALUES } from "./schemas/params.js";
export type { IncludeValue, ListInputItemsParams, ListResponsesParams, ReadOptions, User } from "./schemas/params.js";
export { createResponsesHandler, type ResponsesApi, type ResponsesHandlerOptions } from "./http/handler.js";
export { toNodeListener } from "./http/node.js";
export { importLlamaStackResponses, type LlamaStackImportOptions, type LlamaStackImportResult } from "./import/llama-stack.js";
export {
  migrate,
  migrationStatus,
  bundledMigrations,
  type MigrateOptions,
  type MigrationResult,
  type MigrationStatus,
} from "./db/migrate.js";
export { providerFromUrl, type ProviderName } from "./db/providers.js";
export { DEFAULT_POLICY, parsePolicy, type AccessRule, type Action, type Scope } from "./access/policy.js";
export { isAllowed, type ResourceView } from "./access/decide.js";
export {
  AccessDeniedError,
  ConfigurationError,
  ConversationIdConflictError,
  ConversationHistoryConflictError,
  ConversationItemNotFoundError,
  ConversationLockedError,
  ConversationNotFoundError,
  InputItemNotFoundError,
  InvalidParameterError,
  MigrationError,
  PolicyError,
  ResponseIdConflictError,
  ResponseNotFoundError,
  ResponseStateConflictError,
  ResponsesStoreError,
  StorageError,
  StoreClosedError,
  ValidationError,
  isResponsesStoreError,
  type ResponsesStoreErrorCode,
  type ValidationIssue,
} from "./errors.js";
