"""A thin ctypes binding of libstrata: the public structs use fixed-width
types only, so they map field for field."""
import ctypes
import ctypes.util
import os

c_int32, c_int64, c_char_p, c_void_p, c_size_t = (ctypes.c_int32, ctypes.c_int64,
                                                    ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t)
LATEST = 2**63 - 1


class Event(ctypes.Structure):
    _fields_ = [("type", c_int32), ("statement", c_int32), ("version", c_int64),
                ("name", c_char_p), ("message", c_char_p), ("duration_ms", c_int64),
                ("rows", c_int64), ("pid", c_int32), ("reserved", c_int32)]


class StatusRow(ctypes.Structure):
    _fields_ = [("version", c_int64), ("name", c_char_p), ("phase", c_char_p),
                ("state", c_int32), ("failed_statement", c_int32), ("state_name", c_char_p),
                ("applied_at", c_char_p), ("duration_ms", c_int64), ("error", c_char_p)]


class MigrationDef(ctypes.Structure):
    _fields_ = [("version", c_int64), ("name", c_char_p), ("up_sql", c_char_p),
                ("down_sql", c_char_p)]


EVENT_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(Event), c_void_p)


def _load():
    path = os.environ.get("STRATA_LIB") or ctypes.util.find_library("strata")
    if not path:
        raise OSError("libstrata not found: set STRATA_LIB to the path of libstrata.so")
    lib = ctypes.CDLL(path)
    lib.strata_open.argtypes = [ctypes.POINTER(c_void_p), c_char_p]
    lib.strata_close.argtypes = [c_void_p]
    lib.strata_errmsg.argtypes = [c_void_p]
    lib.strata_errmsg.restype = c_char_p
    lib.strata_strerror.restype = c_char_p
    lib.strata_add_dir.argtypes = [c_void_p, c_char_p]
    lib.strata_add_migrations.argtypes = [c_void_p, ctypes.POINTER(MigrationDef), c_size_t]
    lib.strata_apply.argtypes = [c_void_p, c_int64]
    lib.strata_revert.argtypes = [c_void_p, c_int64]
    lib.strata_revert_steps.argtypes = [c_void_p, c_int32]
    lib.strata_status.argtypes = [c_void_p, ctypes.POINTER(c_void_p)]
    lib.strata_status_count.argtypes = [c_void_p]
    lib.strata_status_count.restype = c_size_t
    lib.strata_status_get.argtypes = [c_void_p, c_size_t]
    lib.strata_status_get.restype = ctypes.POINTER(StatusRow)
    lib.strata_status_free.argtypes = [c_void_p]
    lib.strata_set_event_callback.argtypes = [c_void_p, EVENT_FN, c_void_p]
    lib.strata_version.restype = c_char_p
    return lib


class StrataError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{message} ({code})")
        self.code = code


class Strata:
    """One handle: open, register migrations, apply / revert, status."""

    def __init__(self, conninfo="", on_event=None):
        self._lib = _load()
        self._h = c_void_p()
        rc = self._lib.strata_open(ctypes.byref(self._h), conninfo.encode() if conninfo is not None else None)
        self._keep = []
        if rc:
            msg = self._errmsg()
            self.close()
            raise StrataError(rc, msg)
        if on_event:
            cb = EVENT_FN(lambda ev, _p: on_event(ev.contents))
            self._keep.append(cb)  # the C side holds it: keep it alive
            self._lib.strata_set_event_callback(self._h, cb, None)

    def _errmsg(self):
        return self._lib.strata_errmsg(self._h).decode(errors="replace")

    def _check(self, rc):
        if rc:
            raise StrataError(rc, self._errmsg())

    def add_dir(self, path):
        self._check(self._lib.strata_add_dir(self._h, os.fsencode(path)))

    def add_migrations(self, defs):
        """defs: iterable of (version, name, up_sql, down_sql or None)."""
        arr = (MigrationDef * len(defs))(*[
            MigrationDef(v, n.encode(), up.encode(), down.encode() if down else None)
            for v, n, up, down in defs])
        self._check(self._lib.strata_add_migrations(self._h, arr, len(defs)))

    def apply(self, target=LATEST):
        self._check(self._lib.strata_apply(self._h, target))

    def revert_steps(self, n=1):
        self._check(self._lib.strata_revert_steps(self._h, n))

    def status(self):
        st = c_void_p()
        self._check(self._lib.strata_status(self._h, ctypes.byref(st)))
        try:
            rows = []
            for i in range(self._lib.strata_status_count(st)):
                r = self._lib.strata_status_get(st, i).contents
                rows.append({"version": r.version, "name": r.name.decode(), "phase": r.phase.decode(),
                             "state": r.state_name.decode(),
                             "applied_at": r.applied_at.decode() if r.applied_at else None,
                             "duration_ms": None if r.duration_ms < 0 else r.duration_ms})
            return rows
        finally:
            self._lib.strata_status_free(st)

    def close(self):
        if self._h:
            self._lib.strata_close(self._h)
            self._h = c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
