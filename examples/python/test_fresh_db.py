"""Tests using the `fresh_db` fixture of conftest.py: each gets its own
database, so what one test changes never reaches another."""
import os

from strata import Strata

MIGRATIONS = os.environ.get("STRATA_MIGRATIONS", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "service", "migrations"))
SEEN = []


def states(uri):
    with Strata(uri) as s:
        s.add_dir(MIGRATIONS)
        return [r["state"] for r in s.status()]


def test_every_migration_applied(fresh_db):
    assert fresh_db.startswith("postgresql://")
    assert states(fresh_db) == ["applied"] * 3
    SEEN.append(fresh_db)


def test_changes_stay_in_their_database(fresh_db):
    with Strata(fresh_db) as s:
        s.add_dir(MIGRATIONS)
        s.revert_steps(1)
        assert [r["state"] for r in s.status()][-1] == "pending"
    SEEN.append(fresh_db)


def test_next_database_is_untouched(fresh_db):
    assert fresh_db not in SEEN
    assert states(fresh_db) == ["applied"] * 3
