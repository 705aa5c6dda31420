-- CreateTable
-- id, model and owner_principal are utf8mb4_bin: byte-order comparison, so ids that differ only
-- in case or accents are distinct and sort as on SQLite and PostgreSQL (COLLATE "C").
CREATE TABLE `openai_responses` (
    `id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `created_at` BIGINT NOT NULL,
    `response_object` JSON NOT NULL,
    `model` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `owner_principal` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    `access_attributes` JSON NULL,

    INDEX `openai_responses_created_at_id_idx`(`created_at`, `id`),
    INDEX `openai_responses_model_created_at_id_idx`(`model`, `created_at`, `id`),
    INDEX `openai_responses_owner_principal_created_at_id_idx`(`owner_principal`, `created_at`, `id`),
    INDEX `openai_responses_owner_principal_model_created_at_id_idx`(`owner_principal`, `model`, `created_at`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
