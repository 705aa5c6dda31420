-- CreateTable
CREATE TABLE "openai_responses" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "created_at" BIGINT NOT NULL,
    "response_object" JSONB NOT NULL,
    "model" TEXT NOT NULL,
    "owner_principal" TEXT NOT NULL DEFAULT '',
    "access_attributes" JSONB
);

-- CreateIndex
CREATE INDEX "openai_responses_created_at_id_idx" ON "openai_responses"("created_at", "id");

-- CreateIndex
CREATE INDEX "openai_responses_model_created_at_id_idx" ON "openai_responses"("model", "created_at", "id");

-- CreateIndex
CREATE INDEX "openai_responses_owner_principal_created_at_id_idx" ON "openai_responses"("owner_principal", "created_at", "id");

-- CreateIndex
CREATE INDEX "openai_responses_owner_principal_model_created_at_id_idx" ON "openai_responses"("owner_principal", "model", "created_at", "id");
