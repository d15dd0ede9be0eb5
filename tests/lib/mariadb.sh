# A private MariaDB for tests and the development stack: its own datadir, socket and loopback port,
# nothing system-wide. Source this file, then:
#   mdb_start DIR   initialise DIR/data once, start mariadbd, wait, create database and user (idempotent)
#   mdb_wait DIR    wait until the server answers on DIR/mysqld.sock (MDB_WAIT_S seconds, default 30)
#   mdb_stop DIR    mariadb-admin shutdown with a timeout, then kill the pid from DIR/mysqld.pid
# Environment: MDB_PASSWORD (password of caloria@localhost, default caloria-dev), MDB_PORT (TCP port on
# 127.0.0.1, default: a free one chosen at first start and remembered in DIR/port), MDB_DATABASE (caloria).
# The root account of the private server has no password and is reachable only through DIR/mysqld.sock.

mdb__as_root() {
	[ "$(id -u)" = 0 ]
}

mdb__client() { # DIR, then mariadb arguments
	local dir=$1
	shift
	mariadb --no-defaults --protocol=socket --socket="$dir/mysqld.sock" -uroot "$@"
}

mdb__free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mdb__pid() { # prints the pid of a live server of DIR, or fails
	local dir=$1 pid
	[ -s "$dir/mysqld.pid" ] || return 1
	pid=$(cat "$dir/mysqld.pid") || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

mdb_wait() {
	local dir=$1 limit=${MDB_WAIT_S:-30} i=0
	while [ "$i" -lt $((limit * 10)) ]; do
		if mariadb-admin --no-defaults --protocol=socket --socket="$dir/mysqld.sock" -uroot \
			--connect-timeout=1 ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "mdb_wait: MariaDB in $dir did not answer within ${limit}s; see $dir/error.log" >&2
	return 1
}

mdb__init() {
	local dir=$1 userarg
	[ -d "$dir/data/mysql" ] && return 0
	mkdir -p "$dir/data" || return 1
	userarg="--user=$(id -un)"
	if ! mariadb-install-db --no-defaults --auth-root-authentication-method=normal --datadir="$dir/data" \
		"$userarg" --skip-test-db >"$dir/install.log" 2>&1; then
		echo "mdb_start: mariadb-install-db failed; see $dir/install.log" >&2
		rm -rf "$dir/data"
		return 1
	fi
}

mdb__provision() {
	local dir=$1 pw=${MDB_PASSWORD:-caloria-dev} db=${MDB_DATABASE:-caloria} esc
	esc=$(printf '%s' "$pw" | sed "s/'/''/g")
	mdb__client "$dir" <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'caloria'@'localhost' IDENTIFIED BY '$esc';
CREATE USER IF NOT EXISTS 'caloria'@'127.0.0.1' IDENTIFIED BY '$esc';
ALTER USER 'caloria'@'localhost' IDENTIFIED BY '$esc';
ALTER USER 'caloria'@'127.0.0.1' IDENTIFIED BY '$esc';
GRANT ALL PRIVILEGES ON \`$db\`.* TO 'caloria'@'localhost', 'caloria'@'127.0.0.1';
SQL
}

mdb_start() {
	local dir=$1 port
	[ -n "$dir" ] || { echo "usage: mdb_start DIR" >&2; return 2; }
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	if mdb__pid "$dir" >/dev/null; then
		mdb_wait "$dir" && mdb__provision "$dir"
		return
	fi
	mdb__init "$dir" || return 1
	if [ -n "${MDB_PORT:-}" ]; then
		port=$MDB_PORT
	elif [ -s "$dir/port" ]; then
		port=$(cat "$dir/port")
	else
		port=$(mdb__free_port) || return 1
	fi
	echo "$port" >"$dir/port"
	set -- --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" \
		--bind-address=127.0.0.1 --skip-networking=0 --pid-file="$dir/mysqld.pid" \
		--log-error="$dir/error.log" --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --skip-name-resolve \
		--max-connections=200
	if mdb__as_root; then
		set -- "$@" --user=root
	fi
	mariadbd "$@" >/dev/null 2>&1 </dev/null &
	mdb_wait "$dir" || return 1
	mdb__provision "$dir"
}

mdb_stop() {
	local dir=$1 pid i=0
	[ -n "$dir" ] || { echo "usage: mdb_stop DIR" >&2; return 2; }
	pid=$(mdb__pid "$dir") || return 0
	timeout 20 mariadb-admin --no-defaults --protocol=socket --socket="$dir/mysqld.sock" -uroot \
		shutdown >/dev/null 2>&1
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$dir/mysqld.pid"
	return 0
}
