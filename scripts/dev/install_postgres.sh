#!/usr/bin/env bash
# Make sure the PostgreSQL 15 server binaries and pg_cron are on this machine.
# Installs Debian's packages when they are missing and we are root; otherwise says what to do.
set -euo pipefail

bindir=/usr/lib/postgresql/15/bin
cron_control=/usr/share/postgresql/15/extension/pg_cron.control

missing=()
[ -x "$bindir/initdb" ] || missing+=(postgresql-15 postgresql-contrib)
[ -f "$cron_control" ] || missing+=(postgresql-15-cron)
command -v psql >/dev/null || missing+=(postgresql-client-15)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install_postgres: missing ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2
    exit 2
fi
echo "install_postgres: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's package may start a cluster of its own on port 5432; ours never uses it.
