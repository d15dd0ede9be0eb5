#!/bin/bash
# The database goes away and comes back under a live worker's handle (SPEC §14): while it is down,
# cal_db_ping answers "unavailable" in well under a second (a refused connect at once);
# once it is back, the same handle recovers without a restart.
# Usage: test_db_restart.sh [PROBE]  — PROBE defaults to ./tests/integration/db_probe (the build tree).
# Starts its own MariaDB in a temporary directory with tests/lib/mariadb.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
probe=${1:-./tests/integration/db_probe}
. "$here/../lib/mariadb.sh"

dir=$(mktemp -d /tmp/caloria-restart.XXXXXX)
fails=0
cleanup() {
	if [ -n "${PROBE_PID:-}" ]; then
		echo quit >&"${PROBE[1]}" 2>/dev/null
		wait "$PROBE_PID" 2>/dev/null
	fi
	mdb_stop "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT

check() { # name condition-result
	if [ "$2" = 0 ]; then
		echo "ok   - $1"
	else
		echo "FAIL - $1"
		fails=$((fails + 1))
	fi
}

ask() { # command → sets REPLY_WORD and REPLY_MS
	local line
	echo "$1" >&"${PROBE[1]}"
	if ! read -r -t 30 line <&"${PROBE[0]}"; then
		REPLY_WORD=timeout
		REPLY_MS=99999
		return
	fi
	REPLY_WORD=${line%% *}
	REPLY_MS=${line##* }
}

below() { # value limit → 0 when value < limit
	awk -v v="$1" -v l="$2" 'BEGIN { exit !(v < l) }'
}

mdb_start "$dir" || { echo "FAIL - could not start MariaDB"; exit 1; }
coproc PROBE { CALORIA_TEST_DB_SOCKET="$dir/mysqld.sock" exec "$probe"; }

ask ping
check "ping with the server up ($REPLY_WORD)" "$([ "$REPLY_WORD" = ok ]; echo $?)"
ask query
check "query with the server up ($REPLY_WORD)" "$([ "$REPLY_WORD" = ok ]; echo $?)"

# A server that stops answering (SIGSTOP: the sockets stay open, nothing replies) costs /health's ping its
# 80 ms budget, with a live session and then without one, instead of the 5 s read or 2 s connect timeout.
mdb_pid=$(cat "$dir/mysqld.pid")
ask health
check "health ping with the server up ($REPLY_WORD)" "$([ "$REPLY_WORD" = ok ]; echo $?)"
kill -STOP "$mdb_pid"
# The signal is asynchronous: wait until the kernel shows the server stopped before asking.
for _ in $(seq 50); do
	[ "$(awk '{print $3}' "/proc/$mdb_pid/stat" 2>/dev/null)" = T ] && break
	sleep 0.02
done
ask health
check "health ping of a hung server gives up in time ($REPLY_WORD, ${REPLY_MS} ms)" \
	"$([ "$REPLY_WORD" = unavailable ] && below "$REPLY_MS" 100; echo $?)"
sleep 0.6 # past the back-off that the slow failure started
ask health
check "and so does its fresh connect ($REPLY_WORD, ${REPLY_MS} ms)" \
	"$([ "$REPLY_WORD" = unavailable ] && below "$REPLY_MS" 100; echo $?)"
kill -CONT "$mdb_pid"
sleep 0.6
ask health
check "health ping recovers once the server answers again ($REPLY_WORD)" "$([ "$REPLY_WORD" = ok ]; echo $?)"
ask query
check "and the session it opened serves queries ($REPLY_WORD)" "$([ "$REPLY_WORD" = ok ]; echo $?)"

mdb_stop "$dir"
ask ping
check "ping with the server down says unavailable ($REPLY_WORD)" "$([ "$REPLY_WORD" = unavailable ]; echo $?)"
check "and answers in under 1 s (${REPLY_MS} ms)" "$(below "$REPLY_MS" 1000; echo $?)"
ask query
check "query with the server down says unavailable ($REPLY_WORD)" "$([ "$REPLY_WORD" = unavailable ]; echo $?)"
check "a refused connect answers at once (${REPLY_MS} ms)" "$(below "$REPLY_MS" 50; echo $?)"
sleep 0.6
ask ping
check "asked again later, still unavailable and fast (${REPLY_MS} ms)" \
	"$([ "$REPLY_WORD" = unavailable ] && below "$REPLY_MS" 1000; echo $?)"

mdb_start "$dir" || { echo "FAIL - could not restart MariaDB"; exit 1; }
ask ping
check "ping recovers after the restart ($REPLY_WORD)" "$([ "$REPLY_WORD" = ok ]; echo $?)"
ask query
check "query recovers after the restart ($REPLY_WORD)" "$([ "$REPLY_WORD" = ok ]; echo $?)"

# A restart between two queries, without a ping in between: the cached statement fails on the dead
# session, and the layer reconnects and retries once.
mdb_stop "$dir"
mdb_start "$dir" || { echo "FAIL - could not restart MariaDB"; exit 1; }
ask query
check "a query right after a restart succeeds through the retry ($REPLY_WORD)" \
	"$([ "$REPLY_WORD" = ok ]; echo $?)"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
