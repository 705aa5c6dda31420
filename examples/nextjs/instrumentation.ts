// Runs once when the server starts: open the store (and apply migrations) before the first
// request, so a misconfigured database fails the start, not a user's request.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    await (await import("./lib/store")).store();
  }
}
