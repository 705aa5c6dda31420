-- CreateTable
-- The OpenAI Conversations API: a conversation's metadata and owner, and its items, each stored
-- once at a position that is never reused (next_position is taken under the conversation's row
-- lock, so concurrent appends never interleave within one call). active_response_id is the
-- response in progress on it (queued or in_progress): another cannot start until it ends.
CREATE TABLE "conversations" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "created_at" BIGINT NOT NULL,
    "metadata" JSONB,
    "next_position" BIGINT NOT NULL DEFAULT 0,
    "active_response_id" TEXT,
    "owner_principal" TEXT NOT NULL DEFAULT '',
    "access_attributes" JSONB
);

-- CreateTable
CREATE TABLE "conversation_items" (
    "conversation_id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "item_id" TEXT NOT NULL,
    "item" JSONB NOT NULL,
    "created_at" BIGINT NOT NULL,
    "owner_principal" TEXT NOT NULL DEFAULT '',
    "access_attributes" JSONB,

    PRIMARY KEY ("conversation_id", "position")
);

-- CreateTable
-- The operations a session applied (the Agents SDK's history transactions): each id once per
-- conversation, with a digest of what it did, recorded in the transaction that did it.
CREATE TABLE "conversation_operations" (
    "conversation_id" TEXT NOT NULL,
    "operation_id" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,

    PRIMARY KEY ("conversation_id", "operation_id")
);

-- CreateIndex
CREATE INDEX "conversations_created_at_id_idx" ON "conversations"("created_at", "id");

-- CreateIndex
CREATE INDEX "conversations_owner_principal_created_at_id_idx" ON "conversations"("owner_principal", "created_at", "id");

-- CreateIndex
CREATE INDEX "conversation_items_conversation_id_item_id_position_idx" ON "conversation_items"("conversation_id", "item_id", "position");
