/**
 * The access policy: rules as users write them, their validation, and their parsed form.
 *
 * Rules are the reference's `AccessRule`, validated with zod; the parsed form is what the rest of
 * access/ works with. A malformed rule is a PolicyError when the store is created.
 */
import { z } from "zod";
import { PolicyError } from "../errors.js";

/**
 * What a rule governs.
 *
 * @example
 * ```ts
 * const action: Action = "delete";
 * isAllowed(DEFAULT_POLICY, action, { id: "resp_1", owner: null }, user);
 * ```
 */
export type Action = "create" | "read" | "update" | "delete";
const ACTIONS: readonly Action[] = ["create", "read", "update", "delete"];

/**
 * Who and what a rule applies to.
 *
 * @example
 * ```ts
 * const scope: Scope = { actions: ["read", "delete"], resource: "openai_responses::resp_*" };
 * const policy: AccessRule[] = [{ permit: scope, when: "user is owner" }];
 * ```
 */
export interface Scope {
  /** One action or several. */
  actions: Action | Action[];
  /** Only this user principal. */
  principal?: string;
  /**
   * Only this resource: `sql_record::openai_responses::<id>` (a response),
   * `sql_record::conversation_messages::<id>` (a conversation's chat messages) or
   * `sql_record::conversations::<id>` (a conversation of the Conversations API, with its items),
   * or a prefix ending in `*` (`sql_record::*`, `sql_record::openai_responses::*`).
   */
  resource?: string;
}

/**
 * One access rule: `permit` or `forbid` a scope, optionally only `when` all conditions hold or
 * `unless` they all hold. Conditions: `user is owner`, `user is not owner`,
 * `user in owners <attribute>`, `user not in owners <attribute>`,
 * `user with <value> in <attribute>`, `user with <value> not in <attribute>`,
 * `resource is unowned`. The first rule that matches decides; when none matches, access is
 * denied.
 *
 * @example
 * ```ts
 * // Team sharing on top of owner isolation:
 * const policy: AccessRule[] = [
 *   { permit: { actions: ["create", "read", "update", "delete"] }, when: "user is owner" },
 *   { permit: { actions: ["create", "read", "update", "delete"] }, when: "resource is unowned" },
 *   { permit: { actions: ["read"] }, when: "user in owners teams" },
 * ];
 * ```
 */
export interface AccessRule {
  permit?: Scope;
  forbid?: Scope;
  when?: string | string[];
  unless?: string | string[];
  description?: string;
}

/** A parsed condition. Each is true, false or unknown (data missing) for a row: access/decide.ts. */
export type Condition =
  | { type: "user is owner" }
  | { type: "user is not owner" }
  | { type: "user in owners"; attribute: string }
  | { type: "user not in owners"; attribute: string }
  | { type: "user with value in"; value: string; attribute: string }
  | { type: "user with value not in"; value: string; attribute: string }
  | { type: "resource is unowned" };

/** A validated rule. */
export interface CompiledRule {
  effect: "permit" | "forbid";
  actions: ReadonlySet<Action>;
  principal?: string;
  resource?: string;
  /** Conditions that must all hold (`when`), or whose conjunction must not hold (`unless`). */
  conditions: { mode: "when" | "unless"; all: Condition[] } | undefined;
}

/** The kinds of record the policy governs: its resource patterns are `sql_record::<type>::<id>`. */
export type ResourceType = "openai_responses" | "conversation_messages" | "conversations";

/** `sql_record::<type>::`, what a resource pattern names records of `type` by. */
export function resourcePrefix(type: ResourceType): string {
  return `sql_record::${type}::`;
}

/** Attribute keys become JSON paths: only identifiers are accepted. */
const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

const CONDITION_FORMS: [RegExp, (m: RegExpExecArray) => Condition][] = [
  [/^user is owner$/, () => ({ type: "user is owner" })],
  [/^user is not owner$/, () => ({ type: "user is not owner" })],
  [/^user in owners (\S+)$/, (m) => ({ type: "user in owners", attribute: m[1]! })],
  [/^user not in owners (\S+)$/, (m) => ({ type: "user not in owners", attribute: m[1]! })],
  [/^user with (\S+) not in (\S+)$/, (m) => ({ type: "user with value not in", value: m[1]!, attribute: m[2]! })],
  [/^user with (\S+) in (\S+)$/, (m) => ({ type: "user with value in", value: m[1]!, attribute: m[2]! })],
  [/^resource is unowned$/, () => ({ type: "resource is unowned" })],
];

/** Parses one condition string; a reason when it is not one of the forms (an empty or blank one included). */
function parseCondition(text: string): Condition | string {
  const normalized = text.trim().replace(/\s+/g, " ");
  if (!normalized)
    return `an empty condition ${JSON.stringify(text)} is not a condition (leave 'when'/'unless' out for a rule without one)`;
  for (const [pattern, build] of CONDITION_FORMS) {
    const m = pattern.exec(normalized);
    if (!m) continue;
    const condition = build(m);
    if ("attribute" in condition && !ATTRIBUTE_KEY.test(condition.attribute)) {
      return `attribute key ${JSON.stringify(condition.attribute)} must be an identifier (letters, digits, _)`;
    }
    return condition;
  }
  return `unknown condition ${JSON.stringify(text)}; expected one of: user is owner, user is not owner, user in owners <attribute>, user not in owners <attribute>, user with <value> in <attribute>, user with <value> not in <attribute>, resource is unowned`;
}

const action = z.enum(ACTIONS as [Action, ...Action[]]);
const scopeSchema = z.strictObject({
  actions: z.union([action, z.array(action).min(1)]),
  principal: z.string().min(1).optional(),
  resource: z.string().min(1).optional(),
});
const conditions = z.union([z.string(), z.array(z.string()).min(1)]);
const ruleSchema = z
  .strictObject({
    permit: scopeSchema.optional(),
    forbid: scopeSchema.optional(),
    when: conditions.optional(),
    unless: conditions.optional(),
    description: z.string().optional(),
  })
  .refine((r) => (r.permit !== undefined) !== (r.forbid !== undefined), { error: "a rule has exactly one of 'permit' or 'forbid'" })
  // Present means present: an empty or blank condition is a malformed condition, never "no condition".
  .refine((r) => r.when === undefined || r.unless === undefined, { error: "a rule has 'when' or 'unless', not both" });

/**
 * Validates and parses a policy.
 *
 * @throws PolicyError naming the rule, the field and what is wrong.
 *
 * @example
 * ```ts
 * const policy = parsePolicy([{ permit: { actions: ["read"] }, when: "user in owners teams" }]); // throws PolicyError if malformed
 * ```
 */
export function parsePolicy(rules: unknown): CompiledRule[] {
  if (!Array.isArray(rules)) throw new PolicyError(0, "", "the policy must be an array of rules");
  return rules.map((rule, index) => {
    const parsed = ruleSchema.safeParse(rule);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new PolicyError(index, issue.path.map(String).join("."), issue.message);
    }
    const r = parsed.data;
    const scope = (r.permit ?? r.forbid)!;
    const mode = r.when !== undefined ? "when" : r.unless !== undefined ? "unless" : undefined;
    const texts = mode ? [r[mode]!].flat() : [];
    const all = texts.map((text, i) => {
      const condition = parseCondition(text);
      if (typeof condition === "string") throw new PolicyError(index, `${mode}${Array.isArray(r[mode!]) ? `[${i}]` : ""}`, condition);
      return condition;
    });
    return {
      effect: r.permit ? "permit" : "forbid",
      actions: new Set([scope.actions].flat()),
      ...(scope.principal !== undefined && { principal: scope.principal }),
      ...(scope.resource !== undefined && { resource: scope.resource }),
      conditions: mode ? { mode, all } : undefined,
    } satisfies CompiledRule;
  });
}

/**
 * The default policy (an empty `policy`): a user may do anything with the rows it owns and
 * with rows stored without a user; a caller without a user reaches only the latter. Stricter
 * than the reference's default, which also lets any two users who share one value of roles,
 * teams, projects or namespaces act on each other's rows.
 *
 * @example
 * ```ts
 * isAllowed(DEFAULT_POLICY, "read", { id: "resp_1", owner: null }, null); // true: unowned rows are everyone's
 * ```
 */
export const DEFAULT_POLICY: readonly CompiledRule[] = parsePolicy([
  { permit: { actions: [...ACTIONS] }, when: "user is owner", description: "owners act on their rows" },
  { permit: { actions: [...ACTIONS] }, when: "resource is unowned", description: "rows stored without a user are shared" },
]);

/** The policy in force for the given rules: the default one for an empty list. */
export function resolvePolicy(rules: readonly unknown[] | undefined): readonly CompiledRule[] {
  return rules?.length ? parsePolicy(rules) : DEFAULT_POLICY;
}
