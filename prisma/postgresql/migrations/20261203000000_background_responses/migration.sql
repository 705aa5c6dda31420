-- AlterTable
-- Background responses: the response's status as a column, so that one conditional statement can
-- refuse a write that would move a response out of a final status (completed, failed, cancelled,
-- incomplete). Rows stored before this migration take theirs from the stored JSON. Reading a
-- field of a json value unescapes its strings, and PostgreSQL refuses to unescape \u0000 (which
-- the store keeps): such escapes are read as \ufffd here (the status is not among them).
ALTER TABLE "openai_responses" ADD COLUMN "status" TEXT COLLATE "C";
UPDATE "openai_responses" SET "status" = replace("response_object"::text, '\u0000', '\ufffd')::json->>'status'
    WHERE json_typeof(replace("response_object"::text, '\u0000', '\ufffd')::json->'status') = 'string';

-- CreateTable
-- A response's streaming events, each once, by sequence number, so that a client can resume the
-- stream after a dropped connection. They are deleted with their response.
CREATE TABLE "response_events" (
    "response_id" TEXT COLLATE "C" NOT NULL,
    "sequence_number" INTEGER NOT NULL,
    "event" JSON NOT NULL,
    "created_at" BIGINT NOT NULL,

    CONSTRAINT "response_events_pkey" PRIMARY KEY ("response_id","sequence_number")
);

-- CreateTable
-- Leases: a job that runs on one instance at a time (the retention reaper) holds its lease until
-- expires_at (unix milliseconds) and renews it while it runs. Another instance takes it only
-- once it has expired.
CREATE TABLE "store_leases" (
    "name" TEXT COLLATE "C" NOT NULL,
    "holder" TEXT COLLATE "C" NOT NULL,
    "expires_at" BIGINT NOT NULL,

    CONSTRAINT "store_leases_pkey" PRIMARY KEY ("name")
);
