#!/usr/bin/env python3
"""The oracle strata's roundtrip is measured against: what projects hand-roll
in CI. For each migration in order: `pg_dump -s`, apply the up with psql,
apply the down, `pg_dump -s` again and compare, apply the up again.

    oracle.py MIGRATION_DIR DBNAME > verdicts.tsv

Connection from the PG* environment; pg_dump from PG_BIN
(/usr/lib/postgresql/15/bin). Files run with `psql -X -v ON_ERROR_STOP=1`,
in one transaction (`-1`) unless the file's leading comment lines say
`-- strata:no-transaction`. Like strata, a failed down is not followed by the
up again (its transaction was rolled back: the up is still applied) and the
chain stops when an up fails.

The dumps are normalised by dropping comment lines, blank lines, the
session SET / set_config lines and the \\restrict lines (a random key per
dump since 15.14); they are NOT sorted. pg_dump already orders objects by
kind and name (OIDs only break ties), so an exact down gives the
same text; sorting the lines would hide column order and enum label order,
which pg_dump prints one per line. A difference that disappears when the
column lines inside each CREATE TABLE are sorted is reported as
`column-order`. The fifth column says what `pg_dump -s | sort` would have
concluded, the shortcut CI scripts often take.

Output, one line per migration: version, verdict (exact, fails, differs,
column-order, up-failed, reapply-failed), detail (first lines of the diff
or the error, newlines as ' | '), seconds spent, sorted-lines verdict.
"""
import difflib
import os
import re
import subprocess
import sys
import time

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def migrations(d):
    by_version = {}
    for f in sorted(os.listdir(d)):
        m = re.fullmatch(r"(\d+)_(.*)\.(up|down)\.sql", f)
        if m:
            by_version.setdefault(int(m.group(1)), {})[m.group(3)] = os.path.join(d, f)
    return sorted(by_version.items())


def no_transaction(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if not s.startswith("--"):
                return False
            if re.fullmatch(r"--\s*strata:no-transaction\s*", s):
                return True
    return False


def psql(db, path):
    """None on success, else the error text."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", path]
    if not no_transaction(path):
        cmd.insert(1, "-1")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 0:
        return None
    return " | ".join(l for l in r.stderr.splitlines() if "ERROR" in l or "FATAL" in l) or r.stderr.strip()


def dump(db):
    out = subprocess.run([os.path.join(PG_BIN, "pg_dump"), "-s", "-d", db], capture_output=True, text=True,
                         check=True).stdout
    keep = []
    for line in out.splitlines():
        if not line.strip() or line.startswith("--") or line.startswith("SET ") \
                or line.startswith(("SELECT pg_catalog.set_config(", "\\restrict ", "\\unrestrict ")):
            continue
        keep.append(line)
    return keep


def columns_sorted(lines):
    """The dump with the column lines of every CREATE TABLE sorted."""
    out, block = [], None
    for line in lines:
        if block is not None:
            if line.startswith(")"):
                out += sorted(block) + [line]
                block = None
            else:
                block.append(line.rstrip(","))
        else:
            out.append(line)
            if line.startswith("CREATE TABLE ") and line.endswith("("):
                block = []
    return out


def judge(before, after):
    if before == after:
        return "exact", ""
    if columns_sorted(before) == columns_sorted(after):
        return "column-order", ""
    diff = [l for l in difflib.unified_diff(before, after, lineterm="", n=0)
            if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    return "differs", " | ".join(diff[:6])


def emit(version, verdict, detail, t0, sorted_verdict):
    detail = detail.replace("\t", " ").replace("\n", " | ")
    print(f"{version}\t{verdict}\t{detail}\t{time.monotonic() - t0:.3f}\t{sorted_verdict}", flush=True)


def main():
    mdir, db = sys.argv[1], sys.argv[2]
    for version, files in migrations(mdir):
        t0 = time.monotonic()
        before = dump(db)
        err = psql(db, files["up"])
        if err:
            emit(version, "up-failed", err, t0, "up-failed")
            return
        err = psql(db, files["down"])
        if err:
            emit(version, "fails", err, t0, "fails")
            continue
        after = dump(db)
        verdict, detail = judge(before, after)
        sorted_verdict = "exact" if sorted(before) == sorted(after) else "differs"
        err = psql(db, files["up"])
        if err:
            verdict, detail = "reapply-failed", err
        emit(version, verdict, detail, t0, sorted_verdict)
        if err:
            return


if __name__ == "__main__":
    main()
