#!/bin/sh
echo "Prisma's native schema engine is not installed on this machine (its download host could not be reached)." >&2
echo "Apply migrations with: npx responses-store-migrate (or let createResponsesStore() apply them)." >&2
exit 1
