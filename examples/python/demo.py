#!/usr/bin/env python3
"""Applies a migration directory, prints the status, reverts one step.

    STRATA_LIB=build/lib/libstrata.so DATABASE_URL=postgresql://... \
        python3 examples/python/demo.py examples/service/migrations
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from strata import Strata, StrataError  # noqa: E402


def show(rows):
    for r in rows:
        print(f"{r['version']:<16} {r['name']:<22} {r['state']}")


def main():
    migrations = sys.argv[1] if len(sys.argv) > 1 else "migrations"

    def on_event(ev):
        if ev.type == 2:  # STRATA_EVENT_MIGRATION_DONE
            print(f"applied {ev.version} {ev.name.decode()} in {ev.duration_ms} ms")

    try:
        with Strata(os.environ.get("DATABASE_URL", ""), on_event=on_event) as s:
            s.add_dir(migrations)
            s.apply()
            show(s.status())
            s.revert_steps(1)
            print("after reverting one step:")
            show(s.status())
    except StrataError as e:
        print(f"strata: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
