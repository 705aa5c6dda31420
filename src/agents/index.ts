/** openai-responses-store/agents: a persistent session for the OpenAI Agents SDK (`@openai/agents`), on the store's conversations. */
export { ResponsesStoreSession, type ResponsesStoreSessionOptions } from "./session.js";
