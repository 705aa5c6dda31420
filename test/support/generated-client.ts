/** A PrismaClient generated for a provider, on a URL: the client a host app would have. */
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaMariaDb } from "@prisma/adapter-mariadb";
import { PrismaPg } from "@prisma/adapter-pg";
import { mysqlConfig, sqlitePath } from "../../src/db/providers.js";
import type { PrismaClient as SqliteClient } from "../../src/db/generated/sqlite/client.js";

export async function generatedClient(provider: string, url: string): Promise<SqliteClient> {
  switch (provider) {
    case "sqlite": {
      const { PrismaClient } = await import("../../src/db/generated/sqlite/client.js");
      return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: sqlitePath(url) }) });
    }
    case "postgresql": {
      const { PrismaClient } = await import("../../src/db/generated/postgresql/client.js");
      return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as SqliteClient;
    }
    default: {
      const { PrismaClient } = await import("../../src/db/generated/mysql/client.js");
      return new PrismaClient({ adapter: new PrismaMariaDb(mysqlConfig(url)) }) as unknown as SqliteClient;
    }
  }
}
