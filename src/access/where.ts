/**
 * The policy as SQL: for one action and one caller, the rules folded into a condition on a row's columns.
 *
 * The condition is over a row's columns (owner_principal, access_attributes, id), which the
 * repository renders into the WHERE clause of every read, cursor lookup, delete and guarded
 * update. Everything about the caller is known when the query is built, so it folds into
 * constants; only the row's side stays in SQL. Every rule form translates, so no row is ever
 * filtered after LIMIT.
 */
import type { User } from "../schemas/params.js";
import { resourcePrefix, type Action, type CompiledRule, type Condition, type ResourceType } from "./policy.js";

/** A boolean condition on a row, null-free by construction. */
export type RowCondition =
  | { kind: "const"; value: boolean }
  | { kind: "owner-is"; principal: string }
  | { kind: "owned" }
  | { kind: "attr-overlaps"; attribute: string; values: readonly string[] }
  | { kind: "attr-present"; attribute: string }
  | { kind: "id-is"; id: string }
  | { kind: "id-starts"; prefix: string }
  | { kind: "and"; items: RowCondition[] }
  | { kind: "or"; items: RowCondition[] }
  | { kind: "not"; item: RowCondition };

const TRUE: RowCondition = { kind: "const", value: true };
const FALSE: RowCondition = { kind: "const", value: false };
const constant = (value: boolean): RowCondition => (value ? TRUE : FALSE);
const isConst = (c: RowCondition, value: boolean) => c.kind === "const" && c.value === value;

/** AND with constants folded. */
export function and(...items: RowCondition[]): RowCondition {
  if (items.some((c) => isConst(c, false))) return FALSE;
  const rest = items.filter((c) => !isConst(c, true));
  return rest.length === 0 ? TRUE : rest.length === 1 ? rest[0]! : { kind: "and", items: rest };
}

/** OR with constants folded. */
function or(...items: RowCondition[]): RowCondition {
  if (items.some((c) => isConst(c, true))) return TRUE;
  const rest = items.filter((c) => !isConst(c, false));
  return rest.length === 0 ? FALSE : rest.length === 1 ? rest[0]! : { kind: "or", items: rest };
}

/** NOT with constants folded. */
export function not(item: RowCondition): RowCondition {
  if (item.kind === "const") return constant(!item.value);
  if (item.kind === "not") return item.item;
  return { kind: "not", item };
}

const userValues = (user: User | null, attribute: string): string[] => {
  const v = user?.attributes?.[attribute];
  return Array.isArray(v) ? v : [];
};

/**
 * One condition for a known caller, as the rows where it is true and the rows where it is false
 * (where it is neither, it is unknown): the same three values as decide.ts, on the row's columns.
 */
function conditionOnRow(condition: Condition, user: User | null): { isTrue: RowCondition; isFalse: RowCondition } {
  const owned: RowCondition = { kind: "owned" };
  if (condition.type === "resource is unowned") return { isTrue: not(owned), isFalse: owned };
  const unknown = { isTrue: FALSE, isFalse: FALSE };
  if (!user) return unknown;
  const ownerIs: RowCondition = { kind: "owner-is", principal: user.principal };
  switch (condition.type) {
    case "user is owner":
      return { isTrue: ownerIs, isFalse: not(ownerIs) };
    case "user is not owner":
      return { isTrue: and(owned, not(ownerIs)), isFalse: ownerIs };
    case "user in owners":
    case "user not in owners": {
      const mine = userValues(user, condition.attribute);
      if (!mine.length) return unknown;
      const known = and(owned, { kind: "attr-present", attribute: condition.attribute });
      const overlap: RowCondition = { kind: "attr-overlaps", attribute: condition.attribute, values: mine };
      const inOwners = { isTrue: and(known, overlap), isFalse: and(known, not(overlap)) };
      return condition.type === "user in owners" ? inOwners : { isTrue: inOwners.isFalse, isFalse: inOwners.isTrue };
    }
    case "user with value in":
    case "user with value not in": {
      const mine = userValues(user, condition.attribute);
      if (!mine.length) return unknown;
      const has = mine.includes(condition.value) === (condition.type === "user with value in");
      return { isTrue: constant(has), isFalse: constant(!has) };
    }
  }
}

/** The rows of `type` a resource pattern names. */
function resourceOnRow(pattern: string | undefined, type: ResourceType): RowCondition {
  if (pattern === undefined) return TRUE;
  const own = resourcePrefix(type);
  if (!pattern.endsWith("*")) return pattern.startsWith(own) ? { kind: "id-is", id: pattern.slice(own.length) } : FALSE;
  const prefix = pattern.slice(0, -1);
  if (own.startsWith(prefix)) return TRUE; // sql_record::*, sql_record::<type>::*
  return prefix.startsWith(own) ? { kind: "id-starts", prefix: prefix.slice(own.length) } : FALSE;
}

/**
 * The rows on which `user` may perform `action` under `policy`, as a condition. First match
 * decides: from the last rule up, a permit rule gives `match OR rest`, a forbid rule
 * `NOT match AND rest`, and no match denies.
 *
 * @example
 * ```ts
 * allowedRows(DEFAULT_POLICY, "read", { principal: "alice" });
 * // or(owner-is alice, not(owned))
 * ```
 */
export function allowedRows(
  policy: readonly CompiledRule[],
  action: Action,
  user: User | null,
  type: ResourceType = "openai_responses",
): RowCondition {
  let rest: RowCondition = FALSE;
  for (const rule of [...policy].reverse()) {
    if (!rule.actions.has(action)) continue;
    if (rule.principal !== undefined && rule.principal !== user?.principal) continue;
    let match = resourceOnRow(rule.resource, type);
    if (rule.conditions) {
      const truths = rule.conditions.all.map((c) => conditionOnRow(c, user));
      const allTrue = and(...truths.map((t) => t.isTrue));
      const someFalse = or(...truths.map((t) => t.isFalse));
      // Fail closed, as decide.ts: a permit rule needs certainty, a forbid rule applies on doubt.
      const applies =
        rule.effect === "permit"
          ? rule.conditions.mode === "when"
            ? allTrue
            : someFalse
          : rule.conditions.mode === "when"
            ? not(someFalse)
            : not(allTrue);
      match = and(match, applies);
    }
    rest = rule.effect === "permit" ? or(match, rest) : and(not(match), rest);
  }
  return rest;
}

/**
 * The owners whose rows a visibility condition selects, when it is exactly "owner is one of
 * these" (the default policy's shape: the caller, and unowned rows as ""); otherwise undefined.
 * Lists use it to read one owner index range per owner.
 */
export function ownersOf(c: RowCondition): string[] | undefined {
  const items = c.kind === "or" ? c.items : [c];
  const owners: string[] = [];
  for (const item of items) {
    if (item.kind === "owner-is") owners.push(item.principal);
    else if (item.kind === "not" && item.item.kind === "owned") owners.push("");
    else return undefined;
  }
  return owners.length ? [...new Set(owners)] : undefined;
}
