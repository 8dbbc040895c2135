#!/usr/bin/env bash
# Under ninja, touching, adding and removing a migration each regenerate the
# embedded source, through strata-embed's depfile.
set -euo pipefail
embed=$1
work=$(mktemp -d /tmp/strata-dep-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/p/migrations"
cat >"$work/p/meson.build" <<MESON
project('dep', 'c')
embed = find_program('$embed')
custom_target('migrations', output: 'migrations.c', depfile: 'migrations.d',
  command: [embed, '-o', '@OUTPUT@', '--depfile', '@DEPFILE@', meson.current_source_dir() / 'migrations'],
  build_by_default: true)
MESON
echo "CREATE TABLE a (id int);" >"$work/p/migrations/1_a.sql"
meson setup "$work/b" "$work/p" >/dev/null
ninja -C "$work/b" >/dev/null
gen="$work/b/migrations.c"
grep -q "CREATE TABLE a" "$gen"

regenerated() { # $1: what changed
  local before after
  before=$(stat -c %Y.%y "$gen")
  out=$(ninja -C "$work/b")
  after=$(stat -c %Y.%y "$gen")
  if [ "$before" = "$after" ]; then echo "not regenerated after: $1"; echo "$out"; exit 1; fi
  echo "regenerated after $1"
}
sleep 1.1
touch "$work/p/migrations/1_a.sql"; regenerated "touching 1_a.sql"
sleep 1.1
echo "CREATE TABLE b (id int);" >"$work/p/migrations/2_b.sql"; regenerated "adding 2_b.sql"
grep -q "CREATE TABLE b" "$gen"
sleep 1.1
rm "$work/p/migrations/2_b.sql"; regenerated "removing 2_b.sql"
if grep -q "CREATE TABLE b" "$gen"; then echo "removed migration still embedded"; exit 1; fi
# and an unchanged tree builds nothing
if ninja -C "$work/b" -n | grep -q "strata-embed\|Generating"; then echo "rebuilt without a change"; exit 1; fi
echo "depfile ok"
