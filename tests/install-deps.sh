#!/usr/bin/env bash
# Installs what building and testing strata needs, on Debian, when run as
# root; otherwise lists what is missing. Used by tests/run.sh and
# examples/quickstart.sh.
set -euo pipefail
need_pkgs=(meson ninja-build pkg-config gcc g++ libpq-dev libpg-query-dev libprotobuf-c-dev
           libssl-dev check postgresql-15 postgresql-contrib valgrind python3
           pgbouncer python3-pytest
           clang libclang-rt-14-dev)  # clang: the fuzz targets (.ci/run, tests/fuzz)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing packages: ${missing[*]} (install them with apt-get, or run as root)" >&2
fi
