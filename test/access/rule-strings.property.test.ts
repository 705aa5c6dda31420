// Property: a rule string cannot open access. Whatever text a `when` or `unless` holds (empty,
// blank, unicode whitespace, lone operators, SQL metacharacters, near-misses of the forms, long
// strings), parsePolicy either refuses it with a PolicyError, or the SQL the policy becomes
// selects, on a real database, exactly the rows the reference's row-by-row evaluation
// (decide.ts) allows: never one it denies.
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { PolicyError, ResponsesStore, isAllowed, parsePolicy, type AccessRule, type Action, type User } from "../../src/index.js";
import { allowedRows } from "../../src/access/where.js";
import { openDriverDb } from "../../src/db/drivers.js";
import { dialectFor } from "../../src/db/providers.js";
import type { Db } from "../../src/db/client.js";
import { SqlParams } from "../../src/repository/sql.js";
import { PROVIDERS, freshDatabase, type FreshDatabase } from "../support/databases.js";
import { describeProviders } from "../support/describe-providers.js";
import { makeResponse, silentLogger } from "../support/fixtures.js";

const OWNERS: (User | null)[] = [
  { principal: "alice", attributes: { roles: ["admin"], teams: ["a"] } },
  { principal: "bob", attributes: { teams: ["a", "b"] } },
  { principal: "carol", attributes: null },
  null,
];
const CALLERS: (User | null)[] = [...OWNERS, { principal: "dave", attributes: { roles: ["admin"] } }];
const ACTIONS: Action[] = ["create", "read", "update", "delete"];

const TOKENS = ["user", "is", "not", "owner", "owners", "in", "with", "resource", "unowned", "roles", "teams", "admin", "a"];
const ODD = ["", " ", "\t", "\n", "\u00a0", "\u2003", "\u200b", "\u0000", "'", '"', "--", ";", "*", "OR 1=1", "$.x", "ü", "🙂"];
const FORMS = [
  "user is owner",
  "user is not owner",
  "user in owners teams",
  "user not in owners roles",
  "user with admin in roles",
  "user with a not in teams",
  "resource is unowned",
];

/** Text a careless or hostile policy author could write. */
const conditionText = fc.oneof(
  { arbitrary: fc.constantFrom("", " ", "   ", "\t\n", "\u00a0", "\u2003\u2003", "\u200b"), weight: 3 },
  { arbitrary: fc.constantFrom(...FORMS), weight: 6 },
  { arbitrary: fc.constantFrom(...FORMS).map((form) => `  ${form.replaceAll(" ", "  ")}\t`), weight: 2 },
  { arbitrary: fc.array(fc.constantFrom(...TOKENS, ...ODD), { maxLength: 8 }).map((parts) => parts.join(" ")), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...FORMS), fc.constantFrom(...ODD), fc.nat(30))
      .map(([form, odd, at]) => form.slice(0, at) + odd + form.slice(at)),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...FORMS).map((form) => form.toUpperCase()), weight: 1 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ minLength: 200, maxLength: 2000 }), weight: 1 },
);
const ruleArb: fc.Arbitrary<AccessRule> = fc
  .tuple(
    fc.boolean(),
    fc.subarray(ACTIONS, { minLength: 1 }),
    fc.constantFrom("when", "unless"),
    fc.oneof(conditionText, fc.array(conditionText, { minLength: 1, maxLength: 3 })),
  )
  .map(([permit, actions, mode, text]) => ({ ...(permit ? { permit: { actions } } : { forbid: { actions } }), [mode]: text }));
const policyArb = fc.array(ruleArb, { minLength: 1, maxLength: 2 });

/** The condition forms, written again here, independently of the parser: what an accepted text must be. */
const VALID =
  /^(user is owner|user is not owner|user (not )?in owners [A-Za-z_]\w*|user with \S+ (not )?in [A-Za-z_]\w*|resource is unowned)$/;
const accepted = (text: string) => VALID.test(text.trim().replace(/\s+/g, " "));

test("an empty or blank condition is refused, never read as 'no condition'", () => {
  for (const text of ["", " ", "\t", "\u00a0", "\u2003"]) {
    for (const mode of ["when", "unless"] as const) {
      for (const value of [text, [text], ["user is owner", text]]) {
        expect(() => parsePolicy([{ permit: { actions: ["read", "delete"] }, [mode]: value }])).toThrow(PolicyError);
      }
    }
  }
});

describeProviders(PROVIDERS, "rule strings on $label", (provider) => {
  let fresh: FreshDatabase;
  let db: Db;
  const ids = OWNERS.map((_, i) => `resp_${i}`);

  beforeAll(async () => {
    fresh = await freshDatabase(provider);
    const store = new ResponsesStore({ url: fresh.url, logger: silentLogger, queue: { enabled: false } });
    for (const [i, owner] of OWNERS.entries()) await store.storeResponseObject(makeResponse({ id: ids[i]! }), [], [], { user: owner });
    await store.shutdown();
    db = await openDriverDb(provider.name, fresh.url);
  });
  afterAll(async () => {
    await db.dispose();
    await fresh.drop();
  });

  test("a policy either fails to parse with a PolicyError, or its SQL selects exactly what the reference evaluation allows", async () => {
    const dialect = dialectFor(provider.name);
    await fc.assert(
      fc.asyncProperty(policyArb, async (rules) => {
        let policy;
        try {
          policy = parsePolicy(rules);
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyError);
          return;
        }
        // Accepted: every condition a rule carries is one of the forms (none read as absent).
        for (const rule of rules) {
          const texts = [rule.when ?? rule.unless ?? []].flat();
          for (const text of texts) expect(accepted(text), JSON.stringify(text)).toBe(true);
        }
        for (const caller of CALLERS) {
          for (const action of ACTIONS) {
            const p = new SqlParams(dialect);
            const where = p.condition(allowedRows(policy, action, caller, "openai_responses"), "openai_responses");
            const found = await db.queryRaw(p.query(`SELECT id FROM openai_responses WHERE ${where} ORDER BY id`));
            const selected = found.rows.map((r) => String(r[0]));
            const allowed = ids.filter((id, i) =>
              isAllowed(
                policy,
                action,
                { id, owner: OWNERS[i] ? { principal: OWNERS[i].principal, attributes: OWNERS[i].attributes ?? null } : null },
                caller,
              ),
            );
            expect(selected, `${JSON.stringify(rules)} ${action} by ${caller?.principal ?? "(no user)"}`).toEqual(allowed);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
