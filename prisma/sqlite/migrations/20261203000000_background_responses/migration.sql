-- AlterTable
-- Background responses: the response's status as a column, so that one conditional statement can
-- refuse a write that would move a response out of a final status (completed, failed, cancelled,
-- incomplete). Rows stored before this migration take theirs from the stored JSON.
ALTER TABLE "openai_responses" ADD COLUMN "status" TEXT;
UPDATE "openai_responses" SET "status" = json_extract("response_object", '$.status')
    WHERE json_type("response_object", '$.status') = 'text';

-- CreateTable
-- A response's streaming events, each once, by sequence number, so that a client can resume the
-- stream after a dropped connection. They are deleted with their response.
CREATE TABLE "response_events" (
    "response_id" TEXT NOT NULL,
    "sequence_number" INTEGER NOT NULL,
    "event" JSONB NOT NULL,
    "created_at" BIGINT NOT NULL,

    PRIMARY KEY ("response_id", "sequence_number")
);

-- CreateTable
-- Leases: a job that runs on one instance at a time (the retention reaper) holds its lease until
-- expires_at (unix milliseconds) and renews it while it runs. Another instance takes it only
-- once it has expired.
CREATE TABLE "store_leases" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "expires_at" BIGINT NOT NULL
);
