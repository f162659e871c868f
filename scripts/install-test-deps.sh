#!/usr/bin/env bash
# Installs what the tests use that a bare machine lacks: PostgreSQL, MariaDB, Redis, kcat, python3-grpcio and
# python3-protobuf, pip, setuptools, wheel and venv for Python (Debian), and grpcurl and
# versitygw (the S3 server of the S3 sink's tests), built from the Go module proxy into the
# tool cache. Safe to run repeatedly; quick when done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

need_apt=()
# PostgreSQL 15 for the CDC source and the end-to-end pipeline tests (plugins/testsvc starts it).
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql)
# MariaDB 10.11 for the JDBC connectors (plugins/testsvc starts it).
[ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server mariadb-client)
# Redis 7 for the Redis sink.
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
# The Python plugin's AutoMTLS fallback test makes its certificate with openssl.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# The Python example plugin (plugins/examples/python) runs on Debian's python3 with these.
/usr/bin/python3 -c 'import grpc, google.protobuf' >/dev/null 2>&1 || need_apt+=(python3-grpcio python3-protobuf)
# The Python SDK's test (plugins/sdk/python) pip-installs it offline into a venv.
/usr/bin/python3 -c 'import setuptools, wheel, pip, venv' >/dev/null 2>&1 ||
  need_apt+=(python3-pip python3-setuptools python3-wheel python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing ${need_apt[*]} from apt" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
"$here/install-tools.sh" grpcurl versitygw
