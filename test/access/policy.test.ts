// The rule language: the reference's policy unit cases (llama-stack
// tests/unit/server/test_access_control.py) ported to isAllowed, fail-closed conditions, and
// validation at startup.
import { describe, expect, test } from "vitest";
import { DEFAULT_POLICY, PolicyError, isAllowed, parsePolicy, type AccessRule, type ResourceView, type User } from "../../src/index.js";

const model = (owner: ResourceView["owner"], id = "mymodel"): ResourceView => ({ id, owner });
const u = (principal: string, attributes: Record<string, string[]> | null = null): User => ({ principal, attributes });
const allowed = (
  rules: AccessRule[],
  resource: ResourceView,
  user: User | null,
  action: "read" | "create" | "update" | "delete" = "read",
) => isAllowed(parsePolicy(rules), action, resource, user);

describe("reference policy cases", () => {
  test("permit when user in owners namespaces", () => {
    const rules: AccessRule[] = [{ permit: { principal: "user-1", actions: ["read"] }, when: "user in owners namespaces" }];
    const r = model({ principal: "testuser", attributes: { namespaces: ["foo"] } });
    expect(allowed(rules, r, u("user-1", { namespaces: ["foo"] }))).toBe(true);
    expect(allowed(rules, r, u("user-1", { namespaces: ["bar"] }))).toBe(false);
    expect(allowed(rules, r, u("user-2", { namespaces: ["foo"] }))).toBe(false);
  });

  test("permit unless two conditions (the owner has no teams: unknown, so no opening)", () => {
    const rules: AccessRule[] = [
      {
        permit: { principal: "user-1", actions: ["read"], resource: "sql_record::*" },
        unless: ["user not in owners namespaces", "user in owners teams"],
      },
    ];
    const r = model({ principal: "testuser", attributes: { namespaces: ["foo"] } });
    expect(allowed(rules, r, u("user-1", { namespaces: ["foo"] }))).toBe(true);
    expect(allowed(rules, r, u("user-1", { namespaces: ["bar"] }))).toBe(false);
    expect(allowed(rules, r, u("user-2", { namespaces: ["foo"] }))).toBe(false);
  });

  test("forbid when, then permit", () => {
    const rules: AccessRule[] = [
      { forbid: { principal: "user-1", actions: ["read"] }, when: "user in owners namespaces" },
      { permit: { actions: ["read"] } },
    ];
    const r = model({ principal: "testuser", attributes: { namespaces: ["foo"] } });
    expect(allowed(rules, r, u("user-1", { namespaces: ["foo"] }))).toBe(false);
    expect(allowed(rules, r, u("user-1", { namespaces: ["bar"] }))).toBe(true);
    expect(allowed(rules, r, u("user-2", { namespaces: ["foo"] }))).toBe(true);
  });

  test("forbid unless, then permit", () => {
    const rules: AccessRule[] = [
      { forbid: { principal: "user-1", actions: ["read"] }, unless: "user in owners namespaces" },
      { permit: { actions: ["read"] } },
    ];
    const r = model({ principal: "testuser", attributes: { namespaces: ["foo"] } });
    expect(allowed(rules, r, u("user-1", { namespaces: ["foo"] }))).toBe(true);
    expect(allowed(rules, r, u("user-1", { namespaces: ["bar"] }))).toBe(false);
    expect(allowed(rules, r, u("user-2", { namespaces: ["foo"] }))).toBe(true);
  });

  test("user with a value in an attribute", () => {
    const rules: AccessRule[] = [{ permit: { actions: ["read"] }, when: "user with admin in roles" }];
    const r = model(null);
    expect(allowed(rules, r, u("user-1", { roles: ["basic"] }))).toBe(false);
    expect(allowed(rules, r, u("user-2", { roles: ["admin"] }))).toBe(true);
    expect(allowed(rules, r, u("user-3", { namespaces: ["foo"] }))).toBe(false);
    expect(allowed(rules, r, u("user-4", null))).toBe(false);
  });

  test("permit unless the user lacks a value", () => {
    const rules: AccessRule[] = [{ permit: { actions: ["read"] }, unless: "user with admin not in roles" }];
    const r = model(null);
    expect(allowed(rules, r, u("user-1", { roles: ["basic"] }))).toBe(false);
    expect(allowed(rules, r, u("user-2", { roles: ["admin"] }))).toBe(true);
    expect(allowed(rules, r, u("user-3", { namespaces: ["foo"] }))).toBe(false);
    expect(allowed(rules, r, u("user-4", null))).toBe(false);
  });

  test("user is owner / permit unless user is not owner", () => {
    const r = model({ principal: "user-2", attributes: { namespaces: ["foo"] } });
    for (const rules of [
      [{ permit: { actions: ["read"] }, when: "user is owner" }],
      [{ permit: { actions: ["read"] }, unless: "user is not owner" }],
    ] as AccessRule[][]) {
      expect(allowed(rules, r, u("user-1", { roles: ["basic"] }))).toBe(false);
      expect(allowed(rules, r, u("user-2", { roles: ["admin"] }))).toBe(true);
      expect(allowed(rules, r, u("user-3", { namespaces: ["foo"] }))).toBe(false);
      expect(allowed(rules, r, u("user-4", null))).toBe(false);
    }
  });

  test("principal-scoped rules with a final forbid (the reference's access policy case)", () => {
    const rules: AccessRule[] = [
      { permit: { principal: "user-1", actions: ["create", "read", "delete"] } },
      { permit: { principal: "user-2", actions: ["read"], resource: "sql_record::openai_responses::resp-1" } },
      { permit: { principal: "user-3", actions: ["read"], resource: "sql_record::openai_responses::resp-2" } },
      { forbid: { actions: ["create", "read", "delete"] } },
    ];
    const r1 = model({ principal: "user-1", attributes: null }, "resp-1");
    const r2 = model({ principal: "user-1", attributes: null }, "resp-2");
    const r3 = model({ principal: "user-1", attributes: null }, "resp-3");
    for (const r of [r1, r2, r3]) expect(allowed(rules, r, u("user-1"))).toBe(true);
    expect([r1, r2, r3].map((r) => allowed(rules, r, u("user-2")))).toEqual([true, false, false]);
    expect([r1, r2, r3].map((r) => allowed(rules, r, u("user-3")))).toEqual([false, true, false]);
    expect(allowed(rules, model(null, "resp-4"), u("user-2"), "create")).toBe(false);
    expect(allowed(rules, r1, u("user-2"), "delete")).toBe(false);
  });
});

describe("fail-closed conditions", () => {
  const owned = model({ principal: "owner", attributes: { teams: ["ml"] } });
  test("an owner or user missing the attribute never matches 'in owners', nor its negation in a permit", () => {
    for (const cond of ["user in owners roles", "user not in owners roles"]) {
      expect(allowed([{ permit: { actions: ["read"] }, when: cond }], owned, u("x", { roles: ["a"] }))).toBe(false);
      expect(allowed([{ permit: { actions: ["read"] }, when: cond }], owned, u("x", null))).toBe(false);
    }
    expect(allowed([{ permit: { actions: ["read"] }, when: "user not in owners teams" }], owned, u("x", { teams: ["web"] }))).toBe(true);
    expect(allowed([{ permit: { actions: ["read"] }, when: "user not in owners teams" }], owned, u("x", { teams: ["ml"] }))).toBe(false);
  });

  test("a forbid rule applies when its condition cannot be decided", () => {
    const rules: AccessRule[] = [{ forbid: { actions: ["read"] }, when: "user not in owners teams" }, { permit: { actions: ["read"] } }];
    expect(allowed(rules, owned, u("x", null))).toBe(false); // unknown: forbidden
    expect(allowed(rules, owned, u("x", { teams: ["ml"] }))).toBe(true); // known false: not forbidden
  });

  test("'user is not owner' says nothing about unowned rows or anonymous callers", () => {
    const rules: AccessRule[] = [{ permit: { actions: ["read"] }, when: "user is not owner" }];
    expect(allowed(rules, model(null), u("x"))).toBe(false);
    expect(allowed(rules, owned, null)).toBe(false);
    expect(allowed(rules, owned, u("x"))).toBe(true);
  });
});

describe("the default policy", () => {
  const p = DEFAULT_POLICY;
  test("owners act on their rows; unowned rows are shared; attributes alone grant nothing", () => {
    const alices = model({ principal: "alice", attributes: { roles: ["user"] } });
    for (const action of ["read", "update", "delete"] as const) {
      expect(isAllowed(p, action, alices, u("alice"))).toBe(true);
      expect(isAllowed(p, action, alices, u("bob", { roles: ["user"] }))).toBe(false); // upstream's default allows this
      expect(isAllowed(p, action, alices, null)).toBe(false);
      expect(isAllowed(p, action, model(null), u("bob"))).toBe(true);
      expect(isAllowed(p, action, model(null), null)).toBe(true);
    }
  });
});

describe("policy validation at startup", () => {
  test.each([
    [[{ permit: { actions: ["read"] }, forbid: { actions: ["create"] } }], 0, "exactly one of 'permit' or 'forbid'"],
    [[{ when: "user is owner" }], 0, "exactly one"],
    [[{ permit: { actions: ["read"] }, when: "user is owner", unless: "user with admin in roles" }], 0, "'when' or 'unless', not both"],
    [
      [{ permit: { actions: ["read"] } }, { permit: { actions: ["read"] }, when: "random words that are not valid" }],
      1,
      "unknown condition",
    ],
    [[{ permit: { actions: ["fly"] } }], 0, "actions"],
    [[{ permit: { actions: [] } }], 0, "actions"],
    [[{ permit: { actions: ["read"], resourse: "x" } }], 0, "resourse"],
    [[{ permit: { actions: ["read"] }, when: "user in owners ro-les" }], 0, "must be an identifier"],
    [[{ permit: { actions: ["read"] }, when: "user in owners $.x') OR 1=1 --" }], 0, "unknown condition"],
    [[{ permit: { actions: ["read"] }, when: ["user is owner", 42] }], 0, "when"],
    // Present means present: an empty or blank condition never reads as "no condition".
    [[{ permit: { actions: ["read", "delete"] }, when: "" }], 0, "empty condition"],
    [[{ permit: { actions: ["read", "delete"] }, unless: "" }], 0, "empty condition"],
    [[{ permit: { actions: ["read"] }, when: " \t" }], 0, "empty condition"],
    [[{ permit: { actions: ["read"] }, when: ["user is owner", ""] }], 0, "empty condition"],
    [[{ permit: { actions: ["read"] }, when: "", unless: "user is owner" }], 0, "'when' or 'unless', not both"],
  ])("%j is refused (rule %i)", (rules, ruleIndex, message) => {
    const error = (() => {
      try {
        parsePolicy(rules);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ code: "INVALID_POLICY", ruleIndex });
    expect((error as Error).message).toContain(message);
  });

  test.each([
    "user is owner",
    "user is not owner",
    "user with dev in teams",
    "user with default not in namespaces",
    "user in owners roles",
    "user not in owners projects",
    "resource is unowned",
  ])("'%s' parses", (condition) => {
    expect(() => parsePolicy([{ permit: { actions: ["read"] }, when: condition }])).not.toThrow();
  });
});
