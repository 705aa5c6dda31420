/**
 * Single-row access decisions in TypeScript, with the reference's first-match semantics.
 *
 * Used for `create` (the row does not exist yet, so there is nothing to query) and as the oracle
 * the property tests hold the SQL translation (where.ts) to.
 */
import type { User } from "../schemas/params.js";
import { resourcePrefix, type Action, type CompiledRule, type Condition, type ResourceType } from "./policy.js";

/**
 * A stored row as access sees it: its id and its owner (null when stored without a user).
 *
 * @example
 * ```ts
 * const view: ResourceView = { id: "resp_1", owner: { principal: "alice", attributes: null } };
 * isAllowed(DEFAULT_POLICY, "read", view, alice);
 * ```
 */
export interface ResourceView {
  id: string;
  /** What kind of record. @default "openai_responses" */
  type?: ResourceType;
  owner: { principal: string; attributes: Record<string, string[]> | null } | null;
}

const values = (attributes: Record<string, string[]> | null | undefined, key: string): string[] => {
  const v = attributes?.[key];
  return Array.isArray(v) ? v : [];
};

/**
 * What a condition says about a row: true, false, or unknown where the data it needs is
 * missing (no user, an unowned row for owner comparisons, an attribute the user or the owner
 * lacks). Unknown is what makes rules fail closed: see ruleMatches.
 */
type Truth = true | false | "unknown";

/** One condition on one row for one caller. */
function conditionTruth(condition: Condition, resource: ResourceView, user: User | null): Truth {
  const owner = resource.owner;
  if (condition.type === "resource is unowned") return owner === null;
  if (!user) return "unknown";
  switch (condition.type) {
    case "user is owner":
      return owner !== null && owner.principal === user.principal;
    case "user is not owner":
      return owner === null ? "unknown" : owner.principal !== user.principal;
    case "user in owners":
    case "user not in owners": {
      const mine = values(user.attributes, condition.attribute);
      const theirs = owner ? values(owner.attributes, condition.attribute) : [];
      if (!mine.length || !theirs.length) return "unknown";
      const overlap = theirs.some((v) => mine.includes(v));
      return condition.type === "user in owners" ? overlap : !overlap;
    }
    case "user with value in":
    case "user with value not in": {
      const mine = values(user.attributes, condition.attribute);
      if (!mine.length) return "unknown";
      const has = mine.includes(condition.value);
      return condition.type === "user with value in" ? has : !has;
    }
  }
}

/** Whether a rule's resource pattern names `id` (exact, or a prefix ending in `*`). */
function resourceMatches(pattern: string | undefined, id: string, type: ResourceType = "openai_responses"): boolean {
  if (pattern === undefined) return true;
  const resource = resourcePrefix(type) + id;
  return pattern.endsWith("*") ? resource.startsWith(pattern.slice(0, -1)) : resource === pattern;
}

/**
 * Whether `rule` applies to `action` on `resource` by `user`. Conditions are three-valued: a
 * permit rule matches only when its `when` conditions are all true (or one of its `unless`
 * conditions is false); a forbid rule matches unless one `when` condition is false (or unless
 * its `unless` conditions are all true). So missing data never opens access.
 */
function ruleMatches(rule: CompiledRule, action: Action, resource: ResourceView, user: User | null): boolean {
  if (!rule.actions.has(action)) return false;
  if (rule.principal !== undefined && rule.principal !== user?.principal) return false;
  if (!resourceMatches(rule.resource, resource.id, resource.type)) return false;
  if (!rule.conditions) return true;
  const truths = rule.conditions.all.map((c) => conditionTruth(c, resource, user));
  const allTrue = truths.every((t) => t === true);
  const someFalse = truths.some((t) => t === false);
  // Fail closed: a permit rule needs certainty, a forbid rule applies on doubt.
  if (rule.effect === "permit") return rule.conditions.mode === "when" ? allTrue : someFalse;
  return rule.conditions.mode === "when" ? !someFalse : !allTrue;
}

/**
 * Whether `user` may perform `action` on `resource` under `policy`: the first matching rule
 * decides; no match denies.
 *
 * @example
 * ```ts
 * isAllowed(DEFAULT_POLICY, "read", { id: "resp_1", owner: null }, null); // true: unowned
 * ```
 */
export function isAllowed(policy: readonly CompiledRule[], action: Action, resource: ResourceView, user: User | null): boolean {
  for (const rule of policy) {
    if (ruleMatches(rule, action, resource, user)) return rule.effect === "permit";
  }
  return false;
}
