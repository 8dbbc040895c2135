#!/usr/bin/env bash
# examples/subproject configures and builds with strata as its subproject.
set -euo pipefail
src=$1
work=$(mktemp -d /tmp/strata-sub-XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$src/examples/subproject" "$work/consumer"
mkdir -p "$work/consumer/subprojects"
# a clean copy of the source tree (build directories left out) as the subproject
mkdir "$work/consumer/subprojects/strata"
(cd "$src" && git ls-files -z 2>/dev/null | xargs -0 -I{} cp --parents {} "$work/consumer/subprojects/strata/") \
  || cp -r "$src"/{meson.build,meson_options.txt,include,lib,tools,doc,examples,tests} "$work/consumer/subprojects/strata/"
meson setup "$work/b" "$work/consumer" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
grep -q "Subproject strata" "$work/setup.log" || { echo "strata was not used as a subproject"; cat "$work/setup.log"; exit 1; }
ninja -C "$work/b" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
test -x "$work/b/consumer"
grep -q "app_migrations" "$work/b/migrations.c"
echo "subproject build ok"
