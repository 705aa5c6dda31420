-- CreateTable
-- id, model and owner_principal use the "C" collation so that ORDER BY id (the keyset
-- tie-breaker) is byte order, as on SQLite and MySQL (utf8mb4_bin), whatever the database locale.
-- response_object is JSON, not JSONB: JSONB rejects the \u0000 escape that JSON text allows.
CREATE TABLE "openai_responses" (
    "id" TEXT COLLATE "C" NOT NULL,
    "created_at" BIGINT NOT NULL,
    "response_object" JSON NOT NULL,
    "model" TEXT COLLATE "C" NOT NULL,
    "owner_principal" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "access_attributes" JSONB,

    CONSTRAINT "openai_responses_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "openai_responses_created_at_id_idx" ON "openai_responses"("created_at", "id");

-- CreateIndex
CREATE INDEX "openai_responses_model_created_at_id_idx" ON "openai_responses"("model", "created_at", "id");

-- CreateIndex
CREATE INDEX "openai_responses_owner_principal_created_at_id_idx" ON "openai_responses"("owner_principal", "created_at", "id");

-- CreateIndex
CREATE INDEX "openai_responses_owner_principal_model_created_at_id_idx" ON "openai_responses"("owner_principal", "model", "created_at", "id");
