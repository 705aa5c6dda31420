/** Whether Prisma's schema engine can read a PostgreSQL database's catalog, asked of a child process under a time limit. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const PROBE = fileURLToPath(new URL("./engine-probe.ts", import.meta.url));

/** Undefined when the engine reads the catalog of `url`; else why it cannot (a panic, an error, no answer in 60 s). */
export function engineCannotRead(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", PROBE, url], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else resolve(signal ? "it did not answer within 60 s" : stderr.trim().split("\n").at(-1) || `it exited with ${code}`);
    });
  });
}
