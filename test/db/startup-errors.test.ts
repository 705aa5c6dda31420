// Startup errors say what is wrong and whether trying again can help: a malformed URL is a
// ConfigurationError naming the option and the part at fault (never the password), from the
// store and from the migration runner alike; a server that is not there is a retryable
// MigrationError; a SQLite file that cannot be opened is named.
import { describe, expect, test } from "vitest";
import { ConfigurationError, MigrationError, createResponsesStore, migrate, migrationStatus } from "../../src/index.js";
import { silentLogger } from "../support/fixtures.js";

/** What a call threw. */
const thrown = async (call: () => Promise<unknown>) =>
  call().then(
    () => undefined,
    (e: unknown) => e,
  );

describe("startup errors", () => {
  test.each([
    ["mysql://app:hunter2@h1:3311,h2:3312/db", "several hosts"],
    ["postgresql://app:hunter2@h1:5441,h2:5442/db?target_session_attrs=master", "target_session_attrs 'master' is not one of"],
    ["postgresql://app:hunter2@h1:5441,,h2:5442/db", "empty entry"],
    ["postgresql://app:hunter2@h1:5441,h2:99999/db", "does not parse"],
    ["postgresql://app:hunter2@[::1/db", "does not parse"],
    ["mysql://app:hunter2@host:99999/db", "does not parse"],
    ["mysql://%zz:hunter2@host/db", "user holds a malformed %-escape"],
    ["mariadb://app:hunter2@host/%zz", "database holds a malformed %-escape"],
  ])("%s is a ConfigurationError (%s) that hides the password", async (url, problem) => {
    for (const call of [
      () => createResponsesStore({ url, logger: silentLogger }),
      () => createResponsesStore({ url: "file:./never.db", directUrl: url, logger: silentLogger }),
      () => migrate(url.startsWith("postgresql") ? "postgresql" : "mysql", url),
      () => migrationStatus(url.startsWith("postgresql") ? "postgresql" : "mysql", url),
    ]) {
      const error = await thrown(call);
      // (directUrl on a SQLite store is refused for its provider first, before it is parsed)
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).not.toContain("hunter2");
      if (!(error as Error).message.includes("URL but the store")) expect((error as Error).message).toContain(problem);
    }
  });

  test.each([["postgresql://app:hunter2@127.0.0.1:1/db"], ["mysql://root:hunter2@127.0.0.1:1/db"]])(
    "nothing listening at %s is a retryable MigrationError",
    async (url) => {
      const error = await thrown(() => createResponsesStore({ url, logger: silentLogger }));
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ code: "MIGRATION_FAILED", retryable: true });
      expect((error as Error).message).not.toContain("hunter2");
    },
  );

  test.each([["postgresql://app:hunter2@127.0.0.1:1/db"], ["mysql://root:hunter2@127.0.0.1:1/db"]])(
    "with migrate: false, nothing listening at %s is a retryable StorageError, at once",
    async (url) => {
      const error = await thrown(() => createResponsesStore({ url, migrate: false, logger: silentLogger }));
      expect(error).toMatchObject({ code: "STORAGE_FAILED", operation: "connect", retryable: true });
      expect((error as Error).message).not.toContain("hunter2");
    },
  );

  test("with migrate: false, a database that does not exist is a StorageError that says retrying cannot help", async () => {
    const servers = [process.env.TEST_POSTGRES_URL, process.env.TEST_MYSQL_URL].filter((u): u is string => Boolean(u));
    for (const server of servers) {
      const url = new URL(server);
      url.pathname = "/ors_no_such_database";
      const error = await thrown(() => createResponsesStore({ url: url.toString(), migrate: false, logger: silentLogger }));
      expect(error).toMatchObject({ code: "STORAGE_FAILED", operation: "connect", retryable: false });
    }
    const sqlite = await thrown(() =>
      createResponsesStore({ url: "file:/nonexistent-dir-for-test/x.db", migrate: false, logger: silentLogger }),
    );
    expect(sqlite).toMatchObject({ code: "STORAGE_FAILED", retryable: false });
    expect((sqlite as Error).message).toContain("/nonexistent-dir-for-test/x.db");
  });

  test("a SQLite file in a directory that does not exist is named, and not retryable", async () => {
    const error = await thrown(() => createResponsesStore({ url: "file:/nonexistent-dir-for-test/x.db", logger: silentLogger }));
    expect(error).toMatchObject({ code: "MIGRATION_FAILED", retryable: false });
    expect((error as Error).message).toContain("/nonexistent-dir-for-test/x.db");
  });
});
