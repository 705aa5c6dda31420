-- CreateTable
-- The OpenAI Conversations API: a conversation's metadata and owner, and its items, each stored
-- once at a position that is never reused (next_position is taken under the conversation's row
-- lock, so concurrent appends never interleave within one call). active_response_id is the
-- response in progress on it (queued or in_progress): another cannot start until it ends. Keys are utf8mb4_bin, as in
-- openai_responses.
CREATE TABLE `conversations` (
    `id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `created_at` BIGINT NOT NULL,
    `metadata` JSON NULL,
    `next_position` BIGINT NOT NULL DEFAULT 0,
    `active_response_id` VARCHAR(191) COLLATE utf8mb4_bin NULL,
    `owner_principal` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    `access_attributes` JSON NULL,

    INDEX `conversations_created_at_id_idx`(`created_at`, `id`),
    INDEX `conversations_owner_principal_created_at_id_idx`(`owner_principal`, `created_at`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `conversation_items` (
    `conversation_id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `position` BIGINT NOT NULL,
    `item_id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `item` JSON NOT NULL,
    `created_at` BIGINT NOT NULL,
    `owner_principal` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    `access_attributes` JSON NULL,

    INDEX `conversation_items_conversation_id_item_id_position_idx`(`conversation_id`, `item_id`, `position`),
    PRIMARY KEY (`conversation_id`, `position`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
-- The operations a session applied (the Agents SDK's history transactions): each id once per
-- conversation, with a digest of what it did, recorded in the transaction that did it.
CREATE TABLE `conversation_operations` (
    `conversation_id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `operation_id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `digest` VARCHAR(64) NOT NULL,
    `created_at` BIGINT NOT NULL,

    PRIMARY KEY (`conversation_id`, `operation_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
