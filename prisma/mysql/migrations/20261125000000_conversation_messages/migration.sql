-- CreateTable
-- conversation_id and owner_principal are utf8mb4_bin (byte order), as in openai_responses.
CREATE TABLE `conversation_messages` (
    `conversation_id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `messages` JSON NOT NULL,
    `created_at` BIGINT NOT NULL,
    `updated_at` BIGINT NOT NULL,
    `owner_principal` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    `access_attributes` JSON NULL,

    INDEX `conversation_messages_updated_at_conversation_id_idx`(`updated_at`, `conversation_id`),
    INDEX `conversation_messages_owner_principal_updated_at_conversatio_idx`(`owner_principal`, `updated_at`, `conversation_id`),
    PRIMARY KEY (`conversation_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
