/**
 * A three-node MariaDB Galera cluster of the test's own (Debian's mariadb-server and galera-4,
 * rsync for state transfer), on free loopback ports under a temporary folder; `destroy()` stops
 * every node and removes its files. The shared server on 3306 is never touched.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mariadb from "mariadb";
import { freePort } from "./throwaway-postgres.js";

const PROVIDER = "/usr/lib/galera/libgalera_smm.so";

/** True when this machine can start a Galera cluster. */
export const canRunGalera =
  existsSync(PROVIDER) && existsSync("/usr/sbin/mariadbd") && existsSync("/usr/bin/mariadb-install-db") && existsSync("/usr/bin/rsync");

interface GaleraNode {
  url: string;
  port: number;
  /** SIGKILL: a crashed machine. */
  kill(): void;
  /** The last `lines` lines of the node's error log (what Galera said of views, aborts and inconsistencies). */
  log(lines?: number): string;
  /**
   * What the connections that sent a statement naming `text` sent around it (the general log's
   * lines of that connection, `around` each side), or an empty string when none did.
   */
  trace(text: string, around?: number): string;
}

export interface GaleraCluster {
  nodes: GaleraNode[];
  destroy(): Promise<void>;
}

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`Galera: ${what} did not happen within ${ms} ms`);
}

async function synced(port: number): Promise<boolean> {
  const conn = await mariadb.createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 1000 });
  try {
    const rows: { Value: string }[] = await conn.query("SHOW STATUS LIKE 'wsrep_local_state_comment'");
    return rows[0]?.Value === "Synced";
  } finally {
    await conn.end();
  }
}

/** Builds and starts the cluster: the first node bootstraps it, the others join by state transfer. */
export async function startGalera(size = 3): Promise<GaleraCluster> {
  const dir = mkdtempSync(join(tmpdir(), "ors-galera-"));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot
    ? { uid: Number(execFileSync("id", ["-u", "mysql"]).toString()), gid: Number(execFileSync("id", ["-g", "mysql"]).toString()) }
    : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({
      sql: await freePort(),
      gcomm: await freePort(),
      ist: await freePort(),
      sst: await freePort(),
    })),
  );
  const address = ports.map((p) => `127.0.0.1:${p.gcomm}`).join(",");
  const processes: ChildProcess[] = [];
  const configs = ports.map((p, i) => {
    const data = join(dir, `node${i}`);
    mkdirSync(data);
    if (owner) chownSync(data, owner.uid, owner.gid);
    const file = join(dir, `node${i}.cnf`);
    writeFileSync(
      file,
      [
        "[mariadbd]",
        `datadir=${data}`,
        `socket=${join(dir, `node${i}.sock`)}`,
        `pid-file=${join(dir, `node${i}.pid`)}`,
        `log-error=${join(dir, `node${i}.err`)}`,
        // Every statement each connection sent, and every certification conflict: what a lost
        // write's connection did around it (GaleraNode.trace).
        "general_log=ON",
        `general_log_file=${join(dir, `node${i}.log`)}`,
        "wsrep_log_conflicts=ON",
        `port=${p.sql}`,
        "bind-address=127.0.0.1",
        "skip-name-resolve",
        "innodb_buffer_pool_size=64M",
        "innodb_log_file_size=16M",
        "innodb_flush_log_at_trx_commit=2",
        "binlog_format=ROW",
        "innodb_autoinc_lock_mode=2",
        "wsrep_on=ON",
        `wsrep_provider=${PROVIDER}`,
        `wsrep_cluster_address=gcomm://${address}`,
        `wsrep_node_address=127.0.0.1:${p.gcomm}`,
        `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${p.gcomm};ist.recv_addr=127.0.0.1:${p.ist};gcache.size=64M"`,
        "wsrep_sst_method=rsync",
        `wsrep_sst_receive_address=127.0.0.1:${p.sst}`,
        "wsrep_slave_threads=2",
        "",
      ].join("\n"),
    );
    return { file, data };
  });
  const start = (i: number, bootstrap: boolean) => {
    const args = [
      `--defaults-file=${configs[i]!.file}`,
      ...(asRoot ? ["--user=mysql"] : []),
      ...(bootstrap ? ["--wsrep-new-cluster"] : []),
    ];
    const child = spawn("/usr/sbin/mariadbd", args, { stdio: "ignore" });
    child.on("error", () => {});
    processes[i] = child;
  };
  const destroy = async () => {
    for (const child of processes) child.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    // ORS_GALERA_KEEP=dir keeps the nodes' logs there (the general log, the error log) to read after a run.
    const keep = process.env.ORS_GALERA_KEEP;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const f of readdirSync(dir)) if (/\.(log|err)$/.test(f)) renameSync(join(dir, f), join(keep, f));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync(
      "mariadb-install-db",
      [
        `--defaults-file=${configs[0]!.file}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        ...(asRoot ? ["--user=mysql"] : []),
      ],
      { stdio: "ignore" },
    );
    start(0, true);
    await until("the first node's bootstrap", 60_000, () => synced(ports[0]!.sql));
    for (let i = 1; i < size; i++) {
      start(i, false);
      await until(`node ${i}'s join`, 120_000, () => synced(ports[i]!.sql));
    }
    const admin = await mariadb.createConnection({ host: "127.0.0.1", port: ports[0]!.sql, user: "root" });
    await admin.query("CREATE DATABASE IF NOT EXISTS test");
    await admin.end();
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    nodes: ports.map((p, i) => ({
      url: `mysql://root@127.0.0.1:${p.sql}/test`,
      port: p.sql,
      kill: () => void processes[i]?.kill("SIGKILL"),
      log: (lines = 40) => {
        const file = join(dir, `node${i}.err`);
        return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
      },
      trace: (text, around = 12) => {
        const file = join(dir, `node${i}.log`);
        return existsSync(file) ? traceOf(readFileSync(file, "utf8"), text, around) : "";
      },
    })),
    destroy,
  };
}

/**
 * The general log's lines of each connection that sent a statement naming `text`, `around`
 * lines of that connection each side of every such statement.
 */
function traceOf(log: string, text: string, around: number): string {
  // "241203 18:00:00\t    12 Query\tSELECT 1", the time only where it changed.
  const entries: { thread: string; line: string }[] = [];
  let time = "";
  for (const line of log.split("\n")) {
    const m = /^(\d{6}\s+[\d:]+)?\s+(\d+)\s+(\w[\w ]*?)\t(.*)$/.exec(line);
    if (!m) continue;
    if (m[1]) time = m[1];
    // A statement's text, cut short, and the ids it names (an INSERT's come after its long column list).
    const ids = [...new Set(m[4]!.match(/'resp_\w+'/g) ?? [])].join(",");
    entries.push({ thread: m[2]!, line: `${time} #${m[2]} ${m[3]} ${m[4]!.slice(0, 120)} [${ids}]` });
  }
  const out: string[] = [];
  for (const thread of new Set(entries.filter((e) => e.line.includes(text)).map((e) => e.thread))) {
    const own = entries.filter((e) => e.thread === thread);
    const keep = new Set<number>();
    own.forEach((e, k) => {
      if (e.line.includes(text)) for (let j = Math.max(0, k - around); j <= Math.min(own.length - 1, k + around); j++) keep.add(j);
    });
    out.push(`connection ${thread}:`);
    let last = -1;
    for (const k of [...keep].sort((a, b) => a - b)) {
      if (last >= 0 && k > last + 1) out.push("  ...");
      out.push(own[k]!.line);
      last = k;
    }
  }
  return out.join("\n");
}
