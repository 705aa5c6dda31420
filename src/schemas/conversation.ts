/**
 * zod schemas of the Conversations API's arguments: metadata within the API's limits, items, and item-page parameters.
 *
 * Metadata follows the hosted API: at most 16 pairs, keys up to 64 characters, values up to 512,
 * strings only. Items are input items (schemas/input-item.ts); an id, when given, must be a key
 * the databases store exactly (schemas/common.ts).
 */
import { z } from "zod";
import { keyString, storableString } from "./common.js";
import { cursor, includeParam, limit, orderParam } from "./params.js";

/** Most metadata pairs, key length and value length, as the hosted API allows. */
const METADATA_LIMITS = { pairs: 16, keyLength: 64, valueLength: 512 } as const;

/**
 * Most items one call adds: the hosted API takes 20, and the Agents SDK's sessions send a whole
 * turn (its input, every tool call and output, the answer) in one call, so more are accepted.
 */
export const MAX_ITEMS_PER_CALL = 1000;

/** Metadata: up to 16 string pairs (keys 1..64 characters, values up to 512), or null for none. */
export const metadataSchema = z
  .record(
    storableString
      .min(1, "metadata keys must not be empty")
      .max(METADATA_LIMITS.keyLength, `metadata keys must be at most ${METADATA_LIMITS.keyLength} characters`),
    storableString.max(METADATA_LIMITS.valueLength, `metadata values must be at most ${METADATA_LIMITS.valueLength} characters`),
  )
  .refine((m) => Object.keys(m).length <= METADATA_LIMITS.pairs, `metadata may hold at most ${METADATA_LIMITS.pairs} pairs`)
  .nullish()
  .transform((m) => m ?? null);

/** A conversation item's own id, when it brings one: a key the databases store exactly. */
export const itemIdSchema = keyString("id");

/** Parameters of a page of a conversation's items: as input-item pages', with `after` only. */
export const listConversationItemsSchema = z.object({ after: cursor, include: includeParam, limit: limit(20), order: orderParam });
