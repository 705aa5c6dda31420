-- AlterTable
-- Linear storage: a turn that continues previous_response_id keeps only its new input items and
-- messages and names the parent it continues (parent_id). The counts and digests let the next
-- turn check its prefix without reading the history, and let input-item pages find their items.
-- Rows stored before this migration keep their whole input (input_count IS NULL marks them for
-- `responses-store compact`). deleted_at marks a deleted turn that later turns still build on.
ALTER TABLE `openai_responses` ADD COLUMN `parent_id` VARCHAR(191) COLLATE utf8mb4_bin NULL,
    ADD COLUMN `depth` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `input_start` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `input_count` INTEGER NULL,
    ADD COLUMN `output_count` INTEGER NULL,
    ADD COLUMN `messages_start` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `messages_count` INTEGER NULL,
    ADD COLUMN `history_digest` VARCHAR(64) NULL,
    ADD COLUMN `messages_digest` VARCHAR(64) NULL,
    ADD COLUMN `input_ids_unique` BOOLEAN NULL,
    ADD COLUMN `full_bytes` BIGINT NULL,
    ADD COLUMN `deleted_at` BIGINT NULL;

-- CreateIndex
CREATE INDEX `openai_responses_parent_id_idx` ON `openai_responses`(`parent_id`);
