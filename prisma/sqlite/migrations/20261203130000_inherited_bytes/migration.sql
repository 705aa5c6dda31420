-- AlterTable
-- A turn in one statement on any instance: the bytes a turn continuing a row inherits (its whole
-- input, output and messages, as JSON text without brackets), kept with the row, so that a turn
-- stored on a parent this instance does not remember takes its counts and its size from the
-- parent row in the INSERT itself, without reading the row first. Rows stored before this
-- migration keep it null: the first turn on one reads the row, as before, and keeps it.
ALTER TABLE "openai_responses" ADD COLUMN "inherited_bytes" BIGINT;
