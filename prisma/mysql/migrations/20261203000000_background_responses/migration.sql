-- AlterTable
-- Background responses: the response's status as a column, so that one conditional statement can
-- refuse a write that would move a response out of a final status (completed, failed, cancelled,
-- incomplete). Rows stored before this migration take theirs from the stored JSON.
ALTER TABLE `openai_responses` ADD COLUMN `status` VARCHAR(32) COLLATE utf8mb4_bin NULL;
UPDATE `openai_responses` SET `status` = JSON_UNQUOTE(JSON_EXTRACT(`response_object`, '$.status'))
    WHERE JSON_TYPE(JSON_EXTRACT(`response_object`, '$.status')) = 'STRING';

-- CreateTable
-- A response's streaming events, each once, by sequence number, so that a client can resume the
-- stream after a dropped connection. They are deleted with their response.
CREATE TABLE `response_events` (
    `response_id` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `sequence_number` INTEGER NOT NULL,
    `event` JSON NOT NULL,
    `created_at` BIGINT NOT NULL,

    PRIMARY KEY (`response_id`, `sequence_number`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
-- Leases: a job that runs on one instance at a time (the retention reaper) holds its lease until
-- expires_at (unix milliseconds) and renews it while it runs. Another instance takes it only
-- once it has expired.
CREATE TABLE `store_leases` (
    `name` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `holder` VARCHAR(191) COLLATE utf8mb4_bin NOT NULL,
    `expires_at` BIGINT NOT NULL,

    PRIMARY KEY (`name`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
