/** What every engine with a network URL checks in it: that it parses, and that its escapes decode. */

/**
 * The problem with a `scheme://user:password@host:port/database` URL, or undefined: it must parse
 * as a URL, name one host (a comma means several, which the store does not take yet), and decode.
 * The words never include the password.
 *
 * @example
 * ```ts
 * networkUrlProblem("postgresql://app@db:5432/app"); // undefined
 * ```
 */
export function networkUrlProblem(url: string): string | undefined {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? "";
  const hosts = authority.slice(authority.lastIndexOf("@") + 1);
  if (hosts.includes(",")) return "it names several hosts; give one host (or a proxy in front of them)";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it does not parse as a URL (check the host, the port, and that special characters in the user or password are %-escaped)";
  }
  if (!parsed.hostname) return "it names no host";
  for (const [part, value] of [
    ["user", parsed.username],
    ["password", parsed.password],
    ["database", parsed.pathname],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `its ${part} holds a malformed %-escape`;
    }
  }
  return undefined;
}
