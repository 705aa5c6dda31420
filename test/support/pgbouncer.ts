/**
 * Debian's PgBouncer in transaction mode on a free loopback port, in front of a PostgreSQL
 * server, for the test's own use (a small server pool, so that clients share server
 * connections as they do behind a hosted pooler). Runs as the `postgres` user when the test
 * runs as root (PgBouncer refuses root).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./throwaway-postgres.js";

const BINARY = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((p) => existsSync(p));

/** True when this machine has PgBouncer (`apt-get install pgbouncer`; .ci/run installs it). */
export const canRunPgBouncer = Boolean(BINARY);

export interface PgBouncer {
  /** `serverUrl` with host and port replaced by the pooler's. */
  url(serverUrl: string): string;
  stop(): Promise<void>;
}

async function waitForPort(port: number, deadline: number): Promise<void> {
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts PgBouncer in transaction mode in front of `serverUrl`'s host and port. */
export async function startPgBouncer(serverUrl: string, poolSize = 4): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const dir = mkdtempSync(join(tmpdir(), "ors-pgbouncer-"));
  const port = await freePort();
  const user = decodeURIComponent(server.username) || "postgres";
  writeFileSync(join(dir, "users.txt"), `"${user}" ""\n`);
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "users.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      "max_client_conn = 500",
      "server_reset_query =",
      "ignore_startup_parameters = extra_float_digits",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      `pidfile = ${join(dir, "pgbouncer.pid")}`,
      "",
    ].join("\n"),
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    for (const f of ["", "users.txt", "pgbouncer.ini"]) chownSync(join(dir, f), uid, gid);
  }
  const child: ChildProcess = spawn(
    asRoot ? "runuser" : BINARY!,
    asRoot ? ["-u", "postgres", "--", BINARY!, join(dir, "pgbouncer.ini")] : [join(dir, "pgbouncer.ini")],
    {
      stdio: "ignore",
    },
  );
  await waitForPort(port, Date.now() + 10_000);
  return {
    url(target) {
      const u = new URL(target);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
      // The pooler itself, not runuser in front of it.
      const pid = Number(readFileSync(join(dir, "pgbouncer.pid"), "utf8").trim());
      try {
        process.kill(pid, "SIGINT");
      } catch {
        child.kill("SIGINT");
      }
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
