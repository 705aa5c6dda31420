#!/bin/sh
# Stands in for Prisma's native schema engine where it could not be downloaded. Prisma reads the
# engine's stderr as a line it skips, then JSON log lines; an ERROR of schema_engine::logger
# with an error code and message is what it prints, so the reason goes out as one.
MESSAGE="Prisma's native schema engine is not installed on this machine (its download host could not be reached). Apply migrations with \`npm run cli -- migrate deploy\` here, \`npx responses-store migrate deploy\` in an app (or let createResponsesStore() apply them); \`migrate status\` lists them."
echo "$MESSAGE" >&2
printf '{"timestamp":"","level":"ERROR","target":"schema_engine::logger","fields":{"error_code":"ORS_NO_SCHEMA_ENGINE","message":"%s"}}\n' "$(printf '%s' "$MESSAGE" | sed 's/"/\\"/g')" >&2
exit 1
