#!/bin/sh
# Creates the runtime role zg_app the bot serves as (compose.yaml):
# it may read the audit tables and append through audit_append, never
# change them. `zhenggai migrate`, run as the owner (POSTGRES_USER), grants
# it its rights on every table. The postgres image runs this once, when it
# initialises an empty volume; on an existing one, create the role by hand
# (README-operate.md, "Database roles").
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$APP_DB_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE zg_app LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
SQL
