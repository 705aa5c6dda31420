-- CreateTable
-- The OpenAI Conversations API: a conversation's metadata and owner, and its items, each stored
-- once at a position that is never reused (next_position is taken under the conversation's row
-- lock, so concurrent appends never interleave within one call). active_response_id is the
-- response in progress on it (queued or in_progress): another cannot start until it ends. Keys use the "C" collation and
-- item is JSON (not JSONB), as in openai_responses.
CREATE TABLE "conversations" (
    "id" TEXT COLLATE "C" NOT NULL,
    "created_at" BIGINT NOT NULL,
    "metadata" JSONB,
    "next_position" BIGINT NOT NULL DEFAULT 0,
    "active_response_id" TEXT COLLATE "C",
    "owner_principal" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "access_attributes" JSONB,

    CONSTRAINT "conversations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_items" (
    "conversation_id" TEXT COLLATE "C" NOT NULL,
    "position" BIGINT NOT NULL,
    "item_id" TEXT COLLATE "C" NOT NULL,
    "item" JSON NOT NULL,
    "created_at" BIGINT NOT NULL,
    "owner_principal" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "access_attributes" JSONB,

    CONSTRAINT "conversation_items_pkey" PRIMARY KEY ("conversation_id","position")
);

-- CreateTable
-- The operations a session applied (the Agents SDK's history transactions): each id once per
-- conversation, with a digest of what it did, recorded in the transaction that did it.
CREATE TABLE "conversation_operations" (
    "conversation_id" TEXT COLLATE "C" NOT NULL,
    "operation_id" TEXT COLLATE "C" NOT NULL,
    "digest" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,

    CONSTRAINT "conversation_operations_pkey" PRIMARY KEY ("conversation_id","operation_id")
);

-- CreateIndex
CREATE INDEX "conversations_created_at_id_idx" ON "conversations"("created_at", "id");

-- CreateIndex
CREATE INDEX "conversations_owner_principal_created_at_id_idx" ON "conversations"("owner_principal", "created_at", "id");

-- CreateIndex
CREATE INDEX "conversation_items_conversation_id_item_id_position_idx" ON "conversation_items"("conversation_id", "item_id", "position");
