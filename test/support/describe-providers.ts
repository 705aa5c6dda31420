// The provider loop of every suite, with a visible skip when the environment enables none.
import { describe, test } from "vitest";
import { ALL, type TestProvider } from "./databases.js";

/**
 * `describe.each(providers)`, or, when the environment enables none of them, one skipped test
 * that says what would: vitest fails a file that registers no test at all, which is what a
 * newcomer without database URLs would otherwise meet.
 */
export function describeProviders(providers: TestProvider[], title: string, fn: (provider: TestProvider) => void): void {
  if (providers.length) {
    describe.each(providers)(title, fn);
    return;
  }
  const names = title.replace(/ on \$label$/, "");
  describe(names, () => {
    test.skip(`skipped: no provider enabled (set ${ALL.filter((p) => p.env)
      .map((p) => p.env)
      .join(" or ")})`, () => {});
  });
}
