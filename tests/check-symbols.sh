#!/bin/sh
# Fails when the shared library exports anything but strata_* functions.
nm=$1
lib=$2
leaked=$("$nm" -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^strata_' || true)
count=$("$nm" -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | grep -c '^strata_' || true)
if [ -n "$leaked" ]; then
  echo "unexpected exported symbols:"; echo "$leaked"; exit 1
fi
if [ "$count" -lt 20 ]; then
  echo "only $count strata_* functions exported: is the version script broken?"; exit 1
fi
echo "$count strata_* symbols exported, nothing else"
