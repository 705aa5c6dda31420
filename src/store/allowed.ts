/** What the policy allows a caller: row conditions per action and resource type, and create decisions. */
import { isAllowed } from "../access/decide.js";
import { ownerView } from "../access/owner.js";
import type { Action, CompiledRule, ResourceType } from "../access/policy.js";
import { allowedRows, and, not, type RowCondition } from "../access/where.js";
import { isKey } from "../schemas/common.js";
import type { WriteAccess } from "../repository/responses-table.js";
import type { User } from "../schemas/params.js";

/** Who a prune or count covers: a caller's rows under the policy, one owner's, or every owner's. */
export interface OwnerScope {
  user?: User | null;
  allOwners?: boolean | undefined;
  owner?: string | undefined;
}

/** The policy applied to callers. */
export class AllowedRows {
  readonly #policy: readonly CompiledRule[];
  /** What a caller without a user may act on, per action and resource type (the policy is fixed). */
  readonly #anonymous = new Map<string, RowCondition>();

  constructor(policy: readonly CompiledRule[]) {
    this.#policy = policy;
  }

  /** The rows (of `type`) `user` may act on with `action`, as a condition for the repository's WHERE. */
  rows(action: Action, user: User | null, type: ResourceType = "openai_responses"): RowCondition {
    if (user) return allowedRows(this.#policy, action, user, type);
    // Calls without a user (authentication off) are common and always compile the same.
    const key = `${action}:${type}`;
    let rows = this.#anonymous.get(key);
    if (!rows) this.#anonymous.set(key, (rows = allowedRows(this.#policy, action, null, type)));
    return rows;
  }

  /** The rows `user` may delete: a row the caller may not read is "not found", never deletable. */
  deletable(user: User | null, type: ResourceType = "openai_responses"): RowCondition {
    return and(this.rows("read", user, type), this.rows("delete", user, type));
  }

  /** The rows `user` may change: a row the caller may not read is "not found", never writable (conversations and their items). */
  writable(user: User | null, type: ResourceType): RowCondition {
    return and(this.rows("read", user, type), this.rows("update", user, type));
  }

  /** What a prune may delete: one owner's rows, every owner's, or what the caller may delete. */
  prunable(scope: OwnerScope, user: User | null, type: ResourceType): RowCondition {
    if (scope.owner !== undefined) {
      if (scope.owner === "") return not({ kind: "owned" });
      // A principal no row can have (NUL, a lone surrogate, ...) owns nothing, on every engine.
      return isKey(scope.owner) ? { kind: "owner-is", principal: scope.owner } : { kind: "const", value: false };
    }
    if (scope.allOwners) return and();
    return this.deletable(user, type);
  }

  /** Whether `user` may create the record `id` of `type` (without it, a store may still replace a row the caller may update). */
  mayCreate(id: string, user: User | null, type: ResourceType = "openai_responses"): boolean {
    return isAllowed(this.#policy, "create", { id, type, owner: ownerView(user) }, user);
  }

  /** What a store of conversation `id`'s messages by `user` may do: create it, or replace a row in `writable`. */
  conversationWrite(id: string, user: User | null): { mayCreate: boolean; writable: RowCondition } {
    return { mayCreate: this.mayCreate(id, user, "conversation_messages"), writable: this.rows("update", user, "conversation_messages") };
  }

  /** The rows a writer may read and update: what a queued or direct write is checked against. */
  readonly writeAccess: WriteAccess = (writer) => ({ read: this.rows("read", writer), update: this.rows("update", writer) });
}
