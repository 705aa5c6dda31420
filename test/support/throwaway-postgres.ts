/**
 * A PostgreSQL cluster of the test's own (Debian's initdb/pg_ctl) on a free loopback port, that
 * the test can stop and start again to simulate an outage. Runs the server as the `postgres`
 * user when the test runs as root (initdb refuses root).
 */
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function binDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().at(-1);
  return version && existsSync(join(root, version, "bin", "initdb")) ? join(root, version, "bin") : undefined;
}

/** True when this machine can start a throwaway cluster. */
export const canRunThrowawayPostgres = Boolean(binDir());

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface ThrowawayPostgres {
  url: string;
  port: number;
  start(): void;
  stop(): void;
  destroy(): void;
  /** SIGSTOP (true) or SIGCONT (false) to the server and every process of it: a frozen machine. */
  freeze(frozen: boolean): void;
  /** SIGKILL to the server and every process of it: a crashed machine. */
  kill(): void;
  /** Promotes a standby to primary, and waits until it is one. */
  promote(): void;
}

/** A folder the server's user owns, and a runner of PostgreSQL's tools as that user. */
function serverTools() {
  const bin = binDir()!;
  const dir = mkdtempSync(join(tmpdir(), "ors-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot)
    chownSync(
      dir,
      Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
      Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
    );
  const run = (tool: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : join(bin, tool), asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args, {
      stdio: "pipe",
    });
  return { dir, run };
}

/** Creates and starts a cluster; `destroy()` stops it and removes its files. */
export async function startThrowawayPostgres(extra = ""): Promise<ThrowawayPostgres> {
  const { dir, run } = serverTools();
  const port = await freePort();
  run("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
  return serve(dir, run, port, `-c fsync=off ${extra}`);
}

/**
 * A primary whose commits wait for its standby `s2` (synchronous_commit=on), and that standby,
 * streaming from it; the standby waits for none of its own after a promotion.
 */
export async function startSynchronousPair(): Promise<{ primary: ThrowawayPostgres; standby: ThrowawayPostgres }> {
  const primary = await startThrowawayPostgres("-c synchronous_standby_names=s2 -c synchronous_commit=on");
  const standby = await startStreamingReplica(primary, 0, "s2");
  return { primary, standby };
}

/**
 * A streaming replica of `primary` (pg_basebackup -R), on its own free port, replaying WAL
 * `applyDelayMs` after the primary commits (recovery_min_apply_delay: injected lag).
 */
export async function startStreamingReplica(primary: ThrowawayPostgres, applyDelayMs = 0, name = "replica"): Promise<ThrowawayPostgres> {
  const { dir, run } = serverTools();
  const port = await freePort();
  const source = new URL(primary.url);
  run("pg_basebackup", [
    "-d",
    `host=${source.hostname} port=${source.port} user=postgres application_name=${name}`,
    "-D",
    join(dir, "data"),
    "-R",
    "-X",
    "stream",
    "--no-sync",
  ]);
  return serve(
    dir,
    run,
    port,
    `-c fsync=off -c hot_standby=on -c recovery_min_apply_delay=${applyDelayMs}ms -c hot_standby_feedback=on -c synchronous_standby_names=''`,
  );
}

function serve(dir: string, run: (tool: string, args: string[]) => Buffer, port: number, extra: string): ThrowawayPostgres {
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50 ${extra}`;
  const start = () => void run("pg_ctl", ["-D", join(dir, "data"), "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const stop = () => void run("pg_ctl", ["-D", join(dir, "data"), "-m", "fast", "-w", "stop"]);
  start();
  const pids = () => {
    const postmaster = readFileSync(join(dir, "data", "postmaster.pid"), "utf8")
      .split("\n")[0]!
      .trim();
    let children = "";
    try {
      children = execFileSync("pgrep", ["-P", postmaster], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    } catch {
      // none (pgrep exits 1)
    }
    return [postmaster, ...children.split("\n").filter(Boolean)].map(Number);
  };
  const signal = (name: NodeJS.Signals) => {
    for (const pid of pids()) {
      try {
        process.kill(pid, name);
      } catch {
        // gone already
      }
    }
  };
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    freeze: (frozen) => signal(frozen ? "SIGSTOP" : "SIGCONT"),
    kill: () => signal("SIGKILL"),
    promote: () => void run("pg_ctl", ["-D", join(dir, "data"), "-w", "promote"]),
    destroy() {
      try {
        signal("SIGCONT");
      } catch {
        // not running
      }
      try {
        stop();
      } catch {
        // already stopped (or killed)
      }
      try {
        signal("SIGKILL");
      } catch {
        // not running
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
