"""pytest fixtures: a fresh, fully migrated PostgreSQL database per test,
cloned from a template in milliseconds (strata_testdb_create).

    STRATA_LIB=build/lib/libstrata.so \
    STRATA_ADMIN_URL=postgresql://postgres@localhost/postgres \
    STRATA_MIGRATIONS=examples/service/migrations \
        python3 -m pytest examples/python

STRATA_ADMIN_URL names a role with CREATEDB on a maintenance database. The
first test builds the template (once per migration set, even with pytest-xdist
workers: the build runs under an advisory lock); every test then costs one
clone. Use `fresh_db` (a libpq URI) with any driver: psycopg, asyncpg, ...
"""
import ctypes
import os

import pytest

from strata import Strata, StrataError

_HERE = os.path.dirname(os.path.abspath(__file__))


def _bind(lib):
    lib.strata_testdb_create.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.strata_testdb_drop.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.strata_free.argtypes = [ctypes.c_void_p]
    return lib


@pytest.fixture(scope="session")
def strata_admin():
    """The admin handle with the migrations registered, for the whole run."""
    url = os.environ.get("STRATA_ADMIN_URL", "dbname=postgres")
    migrations = os.environ.get("STRATA_MIGRATIONS",
                                os.path.join(_HERE, "..", "service", "migrations"))
    with Strata(url) as s:
        _bind(s._lib)
        s.add_dir(migrations)
        yield s


@pytest.fixture
def fresh_db(strata_admin):
    """The URI of a new database holding every migration; dropped after."""
    s = strata_admin
    out = ctypes.c_void_p()
    s._check(s._lib.strata_testdb_create(s._h, ctypes.byref(out)))
    uri = ctypes.string_at(out.value).decode()
    s._lib.strata_free(out)
    yield uri
    rc = s._lib.strata_testdb_drop(s._h, uri.encode())
    if rc:
        raise StrataError(rc, s._errmsg())
