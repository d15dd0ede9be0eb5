#!/bin/bash
# Runs the database integration tests against a private MariaDB started here (tests/lib/mariadb.sh), in
# its own temporary directory, and stops it afterwards. Run from the build directory after `make check`
# has built the programs (or `make tests/integration/test_db tests/integration/db_probe tests/unit/test_health`):
#   /path/to/src/tests/integration/run.sh
# Exit status: 0 when everything passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/mariadb.sh"

dir=$(mktemp -d /tmp/caloria-itest.XXXXXX)
trap 'mdb_stop "$dir"; rm -rf "$dir"' EXIT
mdb_start "$dir" || exit 1

rc=0
CALORIA_TEST_DB_SOCKET="$dir/mysqld.sock" CALORIA_TEST_SCHEMA_DIR="$top/schema" \
	./tests/integration/test_db || rc=1
CALORIA_TEST_DB_SOCKET="$dir/mysqld.sock" ./tests/unit/test_health || rc=1
"$here/test_db_restart.sh" ./tests/integration/db_probe || rc=1
exit $rc
