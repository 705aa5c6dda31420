-- CreateTable
-- conversation_id and owner_principal use the "C" collation (byte order), as in openai_responses.
-- messages is JSON, not JSONB: JSONB rejects the \u0000 escape that JSON text allows.
CREATE TABLE "conversation_messages" (
    "conversation_id" TEXT COLLATE "C" NOT NULL,
    "messages" JSON NOT NULL,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,
    "owner_principal" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "access_attributes" JSONB,

    CONSTRAINT "conversation_messages_pkey" PRIMARY KEY ("conversation_id")
);

-- CreateIndex
CREATE INDEX "conversation_messages_updated_at_conversation_id_idx" ON "conversation_messages"("updated_at", "conversation_id");

-- CreateIndex
CREATE INDEX "conversation_messages_owner_principal_updated_at_conversati_idx" ON "conversation_messages"("owner_principal", "updated_at", "conversation_id");
