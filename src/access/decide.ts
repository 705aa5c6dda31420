/**
 * Single-row access decisions, evaluated in TypeScript with the reference's first-match
 * semantics: used for `create` (the row does not exist yet, so there is nothing to query) and
 * as the oracle the property tests hold the SQL translation (where.ts) to.
 */
import type { User } from "../schemas/params.js";
import { RESOURCE_PREFIX, type Action, type CompiledRule, type Condition } from "./policy.js";

/** A stored row as access sees it: its id and its owner (null when stored without a user). */
export interface ResourceView {
  id: string;
  owner: { principal: string; attributes: Record<string, string[]> | null } | null;
}

const values = (attributes: Record<string, string[]> | null | undefined, key: string): string[] => {
  const v = attributes?.[key];
  return Array.isArray(v) ? v : [];
};

/** Whether one condition holds; false wherever the data it needs is missing. */
export function conditionHolds(condition: Condition, resource: ResourceView, user: User | null): boolean {
  const owner = resource.owner;
  switch (condition.type) {
    case "user is owner":
      return Boolean(user && owner && owner.principal === user.principal);
    case "user is not owner":
      return Boolean(user && owner && owner.principal !== user.principal);
    case "user in owners":
    case "user not in owners": {
      if (!user || !owner) return false;
      const mine = values(user.attributes, condition.attribute);
      const theirs = values(owner.attributes, condition.attribute);
      if (!mine.length || !theirs.length) return false;
      const overlap = theirs.some((v) => mine.includes(v));
      return condition.type === "user in owners" ? overlap : !overlap;
    }
    case "user with value in":
      return Boolean(user && values(user.attributes, condition.attribute).includes(condition.value));
    case "user with value not in": {
      const mine = values(user?.attributes, condition.attribute);
      return Boolean(user && mine.length && !mine.includes(condition.value));
    }
    case "resource is unowned":
      return owner === null;
  }
}

/** Whether a rule's resource pattern names `id` (exact, or a prefix ending in `*`). */
export function resourceMatches(pattern: string | undefined, id: string): boolean {
  if (pattern === undefined) return true;
  const resource = RESOURCE_PREFIX + id;
  return pattern.endsWith("*") ? resource.startsWith(pattern.slice(0, -1)) : resource === pattern;
}

/** Whether `rule` applies to `action` on `resource` by `user`. */
export function ruleMatches(rule: CompiledRule, action: Action, resource: ResourceView, user: User | null): boolean {
  if (!rule.actions.has(action)) return false;
  if (rule.principal !== undefined && rule.principal !== user?.principal) return false;
  if (!resourceMatches(rule.resource, resource.id)) return false;
  if (!rule.conditions) return true;
  const all = rule.conditions.all.every((c) => conditionHolds(c, resource, user));
  return rule.conditions.mode === "when" ? all : !all;
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
