/** Stopping with the parent: a CLI server started through npm or a shell exits when that parent is gone. */

/**
 * Calls `onOrphaned` once when this process's parent exits (it is then re-parented, so
 * `process.ppid` changes). npm passes SIGTERM to the shell that runs a script, and the shell
 * exits without passing it on: a server it started would otherwise keep running. Checks twice a
 * second, on a timer that never keeps the process alive.
 */
export function whenOrphaned(onOrphaned: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, 500);
  timer.unref();
}
