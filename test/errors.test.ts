// The error contract: one base class, stable codes, the brand check, causes kept.
import { describe, expect, test } from "vitest";
import {
  InputItemNotFoundError,
  InvalidParameterError,
  ResponseNotFoundError,
  ResponsesStoreError,
  StorageError,
  ValidationError,
  isResponsesStoreError,
} from "../src/index.js";

describe("errors", () => {
  test("every error is a ResponsesStoreError with a stable code and its class name", () => {
    const errors = [
      new ResponseNotFoundError("resp_1"),
      new InputItemNotFoundError("msg_1", "resp_1"),
      new InvalidParameterError("limit", "bad"),
      new ValidationError("input", [{ path: [0, "role"], message: "Invalid option" }]),
      new StorageError("getResponseObject", true, { cause: new Error("connection reset") }),
    ];
    expect(errors.map((e) => e.code)).toEqual([
      "RESPONSE_NOT_FOUND",
      "INPUT_ITEM_NOT_FOUND",
      "INVALID_PARAMETER",
      "VALIDATION_FAILED",
      "STORAGE_FAILED",
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(ResponsesStoreError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(e.constructor.name);
      expect(e.stack).toContain(e.name);
      expect(isResponsesStoreError(e)).toBe(true);
      expect(isResponsesStoreError(e, e.code)).toBe(true);
    }
  });

  test("messages keep the reference's wording", () => {
    expect(new ResponseNotFoundError("resp_1").message).toBe("Response with id resp_1 not found");
    expect(new InputItemNotFoundError("msg_1", "resp_1").message).toBe("Input item with id 'msg_1' not found for response 'resp_1'");
    expect(new ValidationError("input", [{ path: [0, "role"], message: "Invalid option" }]).message).toBe(
      "Invalid input: 0.role: Invalid option",
    );
  });

  test("the brand check works across copies of the package and rejects look-alikes", () => {
    const foreign = Object.assign(new Error("x"), { code: "RESPONSE_NOT_FOUND", [Symbol.for("openai-responses-store.error")]: true });
    expect(isResponsesStoreError(foreign, "RESPONSE_NOT_FOUND")).toBe(true);
    expect(isResponsesStoreError(Object.assign(new Error("x"), { code: "RESPONSE_NOT_FOUND" }))).toBe(false);
    expect(isResponsesStoreError(null)).toBe(false);
    expect(isResponsesStoreError(new ResponseNotFoundError("r"), "INVALID_PARAMETER")).toBe(false);
  });

  test("a storage error keeps the driver error as its cause", () => {
    const cause = new Error("deadlock detected");
    const error = new StorageError("storeResponseObject", true, { cause });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("Database operation 'storeResponseObject' failed: deadlock detected");
    expect(error.retryable).toBe(true);
  });
});
