#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the versions the
# server expects. Idempotent: existing databases are kept, `update-schema` applies only what is
# missing. Used by deploy/cluster (local) and by docker-compose.yml (temporalio/admin-tools).
#
#   TEMPORAL_SQL_TOOL  the SQL tool binary (default: temporal-sql-tool, its name in admin-tools)
#   SQL_HOST SQL_PORT SQL_USER SQL_PASSWORD  the connection (SQL_PLUGIN is set to postgres12)
set -eu
tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
export SQL_PLUGIN=postgres12

setup() {
  database="$1"
  schema="$2"
  echo "setup-schema: ${database} (${schema})"
  # Each step keeps what exists: a database, the version tables (0.0 creates only those), and
  # update-schema applies only the versions not yet applied.
  SQL_DATABASE="$database" "$tool" create-database
  SQL_DATABASE="$database" "$tool" setup-schema -v 0.0
  SQL_DATABASE="$database" "$tool" update-schema -s "$schema"
}

setup temporal postgresql/v12/temporal
setup temporal_visibility postgresql/v12/visibility
