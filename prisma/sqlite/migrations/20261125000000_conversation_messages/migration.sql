-- CreateTable
CREATE TABLE "conversation_messages" (
    "conversation_id" TEXT NOT NULL PRIMARY KEY,
    "messages" JSONB NOT NULL,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,
    "owner_principal" TEXT NOT NULL DEFAULT '',
    "access_attributes" JSONB
);

-- CreateIndex
CREATE INDEX "conversation_messages_updated_at_conversation_id_idx" ON "conversation_messages"("updated_at", "conversation_id");

-- CreateIndex
CREATE INDEX "conversation_messages_owner_principal_updated_at_conversation_id_idx" ON "conversation_messages"("owner_principal", "updated_at", "conversation_id");
