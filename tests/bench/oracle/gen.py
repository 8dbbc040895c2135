#!/usr/bin/env python3
"""Generate a migration directory in the style of real projects, with the
ground truth of every down.

    gen.py OUTDIR [--count N] [--seed S]

Writes OUTDIR/migrations/V_name.{up,down}.sql and OUTDIR/truth.tsv: one line
per migration, `version<TAB>verdict<TAB>class<TAB>set`, verdict one of exact,
fails, differs, column-order; set `core` (the defect classes issue 12 names)
or `probe` (object kinds beyond them: grants, rules, extended statistics,
column statistics targets).

The generator keeps a model of the schema (tables, columns, enums, functions,
checks...) so that every up applies on what the earlier ones built. A down is
run right after its up, so it only ever meets the up's own objects. Each
defective down still lets the up be applied again (IF NOT EXISTS, DO blocks,
CREATE OR REPLACE: what real projects write), so the chain goes on to the
end; a failing down is always transactional (rolled back: the schema stays
as the up left it). Defects are denser than in real directories (about 25%
of the downs instead of 5 to 10%) so that every class appears a few times.
"""
import argparse
import datetime
import os
import random
import re

FAILS = ["fail-no-type", "fail-constraint-index-name", "fail-cic-in-tx", "fail-drop-missing"]
DIFFERS = ["not-null-lost", "varchar-to-text", "function-body", "table-left", "index-left",
           "type-left", "default-lost", "check-changed", "enum-order", "trigger-disabled",
           "comment-lost", "function-left", "rls-left"]
PROBES = ["grant-left", "rule-left", "statistics-left", "stattarget-left", "extension-version"]
# contrib extensions installed at an older version, for `ALTER EXTENSION ... UPDATE` (nothing uses them)
PINNED = [("cube", "1.4", "1.5"), ("seg", "1.3", "1.4"), ("intarray", "1.4", "1.5"), ("isn", "1.1", "1.2")]
PRELUDE_EXT, PRELUDE = 8, 16  # migrations 0-7 enable extensions, 8-15 create tables

RESERVED = {"user", "order", "group", "table", "select", "from", "where", "check", "default", "end"}


def q(name):
    """An identifier as PostgreSQL wants it: quoted unless plain lower case."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def lit(s):
    return "'" + s.replace("'", "''") + "'"


class Col:
    def __init__(self, name, typ, notnull=False, default=None, comment=None):
        self.name, self.typ, self.notnull, self.default, self.comment = name, typ, notnull, default, comment
        self.pinned = False  # used by an index, view, constraint, rule...

    def ddl(self, notnull=None, default=True, typ=None):
        s = f"{q(self.name)} {typ or self.typ}"
        if default and self.default is not None:
            s += f" DEFAULT {self.default}"
        if self.notnull if notnull is None else notnull:
            s += " NOT NULL"
        return s


class Table:
    def __init__(self, name):
        self.name = name
        self.cols = []
        self.checks = {}      # name -> expression
        self.comment = None
        self.trigger = None   # name of its updated_at trigger
        self.rls = False
        self.enum_col = None

    def col(self, name):
        return next(c for c in self.cols if c.name == name)


VARCHAR_NAMES = ["email", "display_name", "slug", "reference", "title", "city", "sku", "code"]
EXTRA_COLS = [  # (name, type, notnull, default)
    ("priority", "integer", True, "0"), ("is_archived", "boolean", True, "false"),
    ("notes", "text", False, None), ("external_ref", "character varying(64)", False, None),
    ("amount_net", "numeric(12,2)", True, "0"), ("label", "character varying(120)", True, "''::character varying"),
    ("metadata", "jsonb", True, "'{}'::jsonb"), ("last_seen_at", "timestamp with time zone", False, None),
    ("score", "numeric(5,2)", False, None), ("country_code", "character varying(2)", True, "'DE'::character varying"),
    ("retries", "smallint", True, "0"), ("source_ip", "inet", False, None), ("token", "uuid", False, "gen_random_uuid()"),
    ("Größe", "integer", False, None), ("ValidFrom", "date", False, "CURRENT_DATE"),
]
NOUNS = ["account", "invoice", "order_item", "customer", "shipment", "payment", "product", "warehouse",
         "subscription", "coupon", "ticket", "project", "task", "comment", "attachment", "team",
         "membership", "audit_event", "webhook", "api_key", "report", "tag", "category", "supplier",
         "contract", "refund", "session", "device", "notification", "address"]
TABLE_COMMENTS = ["Kundenkonten – Übersicht", "O'Reilly's orders", "rows per tenant; see doc/billing.md",
                  "日本語のコメント", "legacy: do not write"]


class Gen:
    def __init__(self, rng, count):
        self.rng, self.count = rng, count
        self.tables = []
        self.enums = {}        # name -> (labels, table, column); None when tainted
        self.funcs = {}        # name -> (argtype, body constant)
        self.views = {}        # name -> (table, columns, comment)
        self.exts = set()
        self.updated = set()   # pinned extensions already updated
        self.seq = 0
        self.migs = []         # (name, up, down, up_notx, down_notx, verdict, cls, set)

    def uid(self, base):
        self.seq += 1
        return f"{base}_{self.seq}"

    def pick(self, xs):
        return self.rng.choice(xs) if xs else None

    def free_cols(self, t, pred=lambda c: True):
        return [c for c in t.cols if not c.pinned and pred(c)]

    # ---- templates: each returns (name, up, down[, up_notx, down_notx]) or None ----

    def t_extension(self, cls):
        if cls != "exact":
            return None
        left = [e for e in ["pg_trgm", "citext", "btree_gist", "hstore"] + [p[0] for p in PINNED]
                if e not in self.exts]
        if not left:
            return None
        e = left[0]
        self.exts.add(e)
        ver = "".join(f" VERSION {lit(old)}" for name, old, _ in PINNED if name == e)
        return (f"enable_{e}", f'CREATE EXTENSION IF NOT EXISTS {q(e)}{ver};\n', f'DROP EXTENSION IF EXISTS {q(e)};\n')

    def new_table_sql(self, t, with_enum):
        noun = t.name
        cols = [Col("id", "bigint"), Col("tenant_id", "bigint", True), Col(self.pick(VARCHAR_NAMES),
                f"character varying({self.pick([64, 120, 255])})", True),
                Col("amount", "numeric(12,2)", True, "0"), Col("created_at", "timestamp with time zone", True, "now()"),
                Col("updated_at", "timestamp with time zone", True, "now()")]
        for c in cols:
            c.pinned = c.name in ("id", "tenant_id", "created_at", "updated_at", "amount")
        cols[0].pinned = True
        lines = [f"    {q('id')} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
        lines += [f"    {c.ddl()}" for c in cols[1:]]
        parent = self.pick([x for x in self.tables if x.name != noun]) if self.tables and self.rng.random() < 0.5 else None
        if parent:
            fk = Col(f"{parent.name.lower()}_id", "bigint")
            fk.name = re.sub(r"[^a-z0-9_]", "", fk.name) or "parent_id"
            fk.pinned = True
            cols.append(fk)
            lines.append(f"    {q(fk.name)} bigint REFERENCES {q(parent.name)} (id) ON DELETE CASCADE")
        ck = f"{noun.lower()}_amount_check"[:60]
        t.checks[ck] = "amount >= 0"
        lines.append(f"    CONSTRAINT {q(ck)} CHECK (amount >= 0)")
        pre = ""
        if with_enum:
            en = f"{noun.lower()}_status"[:60]
            labels = ["pending", "active", "suspended", "closed"]
            self.rng.shuffle(labels)
            ec = Col("status", q(en))
            ec.pinned = True
            cols.append(ec)
            lines.insert(-1, f"    status {q(en)}")
            pre = (f"DO $$ BEGIN\n    CREATE TYPE {q(en)} AS ENUM ({', '.join(map(lit, labels))});\n"
                   f"EXCEPTION WHEN duplicate_object THEN NULL;\nEND $$;\n\n")
            self.enums[en] = (labels, t, "status")
            t.enum_col = "status"
        t.cols = cols
        up = pre + f"CREATE TABLE {q(t.name)} (\n" + ",\n".join(lines) + "\n);\n"
        if parent:
            up += f"CREATE INDEX {q(noun.lower() + '_' + cols[-2 if with_enum else -1].name + '_idx')} ON {q(t.name)} ({q(fk.name)});\n"
        up += f"CREATE INDEX {q(noun.lower() + '_tenant_created_idx')} ON {q(t.name)} (tenant_id, created_at DESC);\n"
        t.comment = self.pick(TABLE_COMMENTS)
        up += f"COMMENT ON TABLE {q(t.name)} IS {lit(t.comment)};\n"
        return up, (en if with_enum else None)

    def t_create_table(self, cls):
        if cls not in ("exact", "fail-drop-missing", "table-left", "type-left"):
            return None
        base = self.pick(NOUNS) if self.rng.random() < 0.9 else self.pick(["AuditLog", "UserProfile", "Größen"])
        name = self.uid(base)
        t = Table(name)
        up, en = self.new_table_sql(t, with_enum=cls == "type-left" or self.rng.random() < 0.3)
        down = f"DROP TABLE {q(name)};\n"
        if en:
            down += f"DROP TYPE {q(en)};\n"
        if cls == "fail-drop-missing":
            down = f"DROP TABLE {q(name + 's')};\n" + (f"DROP TYPE {q(en)};\n" if en else "")
        if cls == "table-left":
            h = f"{name}_history"
            up += (f"\nCREATE TABLE IF NOT EXISTS {q(h)} (\n    {q(name.lower() + '_id')} bigint NOT NULL,\n"
                   f"    changed_at timestamp with time zone NOT NULL DEFAULT now(),\n    change jsonb NOT NULL\n);\n")
        if cls == "type-left":
            down = f"DROP TABLE {q(name)};\n"
        self.tables.append(t)
        return (f"create_{name}", up, down)

    def t_add_column(self, cls):
        t = self.pick(self.tables)
        if cls != "exact" or not t:
            return None
        name, typ, nn, de = self.pick(EXTRA_COLS)
        if any(c.name == name for c in t.cols):
            name = self.uid(name)
        c = Col(name, typ, nn, de)
        if self.rng.random() < 0.3:
            c.comment = self.pick(["in cents", "ISO 3166-1 alpha-2", "NULL until the first login", "«legacy»"])
        t.cols.append(c)
        up = f"ALTER TABLE {q(t.name)} ADD COLUMN {c.ddl()};\n"
        if c.comment:
            up += f"COMMENT ON COLUMN {q(t.name)}.{q(c.name)} IS {lit(c.comment)};\n"
        return (f"add_{t.name}_{name}", up, f"ALTER TABLE {q(t.name)} DROP COLUMN {q(c.name)};\n")

    def t_drop_column(self, cls):
        need = {"not-null-lost": lambda c: c.notnull, "varchar-to-text": lambda c: c.typ.startswith("character varying("),
                "default-lost": lambda c: c.default is not None, "comment-lost": lambda c: c.comment is not None,
                "exact": lambda c: True, "fail-no-type": lambda c: True, "col-reorder": lambda c: True}
        if cls not in need:
            return None
        cands = []
        for t in self.tables:
            for i, c in enumerate(t.cols):
                last = i == len(t.cols) - 1
                if c.pinned or not need[cls](c) or (cls == "col-reorder") == last:
                    continue
                if cls != "fail-no-type" and cls != "col-reorder" and not last:
                    continue
                cands.append((t, c))
        if not cands:
            return None
        t, c = self.pick(cands)
        up = f"ALTER TABLE {q(t.name)} DROP COLUMN {q(c.name)};\n"
        tail = f"COMMENT ON COLUMN {q(t.name)}.{q(c.name)} IS {lit(c.comment)};\n" if c.comment else ""
        add = f"ALTER TABLE {q(t.name)} ADD COLUMN "
        down = {"exact": add + c.ddl() + ";\n" + tail, "col-reorder": add + c.ddl() + ";\n" + tail,
                "fail-no-type": add + q(c.name) + ";\n",
                "not-null-lost": add + c.ddl(notnull=False) + ";\n" + tail,
                "varchar-to-text": add + c.ddl(typ="text") + ";\n" + tail,
                "default-lost": add + c.ddl(default=False) + ";\n" + tail,
                "comment-lost": add + c.ddl() + ";\n"}[cls]
        t.cols.remove(c)  # a failed down leaves it dropped; a reapply drops it again
        return (f"drop_{t.name}_{c.name}", up, down)

    def t_alter_type(self, cls):
        if cls not in ("exact", "varchar-to-text", "not-null-lost"):
            return None
        cands = [(t, c) for t in self.tables for c in self.free_cols(t, lambda c: c.typ.startswith("character varying("))
                 if cls != "not-null-lost" or c.notnull]
        if not cands:
            return None
        t, c = self.pick(cands)
        old = c.typ
        new = "character varying(1000)"
        tn, cn = q(t.name), q(c.name)
        up = f"ALTER TABLE {tn} ALTER COLUMN {cn} TYPE {new};\n"
        if cls == "not-null-lost":
            up = f"ALTER TABLE {tn} ALTER COLUMN {cn} DROP NOT NULL, ALTER COLUMN {cn} TYPE {new};\n"
            down = f"ALTER TABLE {tn} ALTER COLUMN {cn} TYPE {old};\n"
        elif cls == "varchar-to-text":
            down = f"ALTER TABLE {tn} ALTER COLUMN {cn} TYPE text;\n"
        else:
            down = f"ALTER TABLE {tn} ALTER COLUMN {cn} TYPE {old};\n"
            if self.rng.random() < 0.5 and c.notnull:
                up = f"ALTER TABLE {tn} ALTER COLUMN {cn} DROP NOT NULL, ALTER COLUMN {cn} TYPE {new};\n"
                down = f"ALTER TABLE {tn} ALTER COLUMN {cn} TYPE {old}, ALTER COLUMN {cn} SET NOT NULL;\n"
                c.notnull = False
        if cls == "not-null-lost":
            c.notnull = False
        c.typ = new
        return (f"widen_{t.name}_{c.name}", up, down)

    NEW_DEFAULT = {"integer": "1", "smallint": "3", "boolean": "true", "numeric(12,2)": "1.00",
                   "jsonb": "'{\"v\": 1}'::jsonb", "date": "'2024-01-01'::date"}

    def t_set_default(self, cls):
        if cls not in ("exact", "default-lost"):
            return None
        cands = [(t, c) for t in self.tables for c in t.cols
                 if c.default is not None and (c.typ in self.NEW_DEFAULT or c.typ.startswith("character varying"))
                 and c.name != "amount"]
        if not cands:
            return None
        t, c = self.pick(cands)
        new = self.NEW_DEFAULT.get(c.typ, "'unknown'::character varying")
        if new == c.default:
            return None
        tn, cn = q(t.name), q(c.name)
        up = f"ALTER TABLE {tn} ALTER COLUMN {cn} SET DEFAULT {new};\n"
        down = (f"ALTER TABLE {tn} ALTER COLUMN {cn} SET DEFAULT {c.default};\n" if cls == "exact"
                else f"ALTER TABLE {tn} ALTER COLUMN {cn} DROP DEFAULT;\n")
        c.default = new
        return (f"default_{t.name}_{c.name}", up, down)

    def func_sql(self, name, arg, k, plpgsql):
        if plpgsql:
            return (f"CREATE OR REPLACE FUNCTION {q(name)}(p_value {arg})\nRETURNS numeric\nLANGUAGE plpgsql\n"
                    f"IMMUTABLE\nAS $fn$\nDECLARE\n    v_rate numeric := {k};\nBEGIN\n    IF p_value IS NULL THEN\n"
                    f"        RETURN 0;\n    END IF;\n    RETURN round(p_value * v_rate, 2);\nEND;\n$fn$;\n")
        return (f"CREATE OR REPLACE FUNCTION {q(name)}(p_value {arg})\nRETURNS numeric\nLANGUAGE sql\n"
                f"IMMUTABLE STRICT\nAS $$ SELECT round(p_value * {k}, 2) $$;\n")

    def t_function(self, cls):
        if cls in ("exact", "fail-drop-missing") and (self.rng.random() < 0.5 or not self.funcs or cls != "exact"):
            name = self.uid(self.pick(["calc_tax", "net_price", "apply_discount", "fee_for", "score_of"]))
            arg = self.pick(["numeric", "bigint", "integer"])
            k = self.pick(["1.19", "0.07", "1.05", "0.5"])
            pl = self.rng.random() < 0.6
            self.funcs[name] = (arg, k, pl)
            wrong = "text" if cls == "fail-drop-missing" else arg
            return (f"create_function_{name}", self.func_sql(name, arg, k, pl), f"DROP FUNCTION {q(name)}({wrong});\n")
        if cls not in ("exact", "function-body") or not self.funcs:
            return None
        name = self.pick(sorted(self.funcs))
        arg, k, pl = self.funcs[name]
        k2 = self.pick([x for x in ["1.20", "0.08", "1.10", "0.25"] if x != k])
        up = self.func_sql(name, arg, k2, pl)
        # the defect: an older copy of the body, the rate as it was before the last fix
        down = self.func_sql(name, arg, k if cls == "exact" else str(round(float(k) + 0.01, 2)), pl)
        self.funcs[name] = (arg, k2, pl)
        return (f"update_function_{name}", up, down)

    def t_trigger(self, cls):
        if cls not in ("exact", "function-left"):
            return None
        t = self.pick([t for t in self.tables if not t.trigger])
        if not t:
            return None
        fn, tg = f"{t.name}_touch"[:60], f"{t.name}_set_updated_at"[:60]
        up = (f"CREATE OR REPLACE FUNCTION {q(fn)}() RETURNS trigger\nLANGUAGE plpgsql AS $$\nBEGIN\n"
              f"    NEW.updated_at := now();\n    RETURN NEW;\nEND\n$$;\n\n"
              f"CREATE TRIGGER {q(tg)} BEFORE UPDATE ON {q(t.name)}\n    FOR EACH ROW EXECUTE FUNCTION {q(fn)}();\n")
        down = f"DROP TRIGGER {q(tg)} ON {q(t.name)};\n"
        if cls == "exact":
            down += f"DROP FUNCTION {q(fn)}();\n"
        t.trigger = tg
        return (f"trigger_{t.name}", up, down)

    def t_backfill(self, cls):
        if cls not in ("exact", "trigger-disabled"):
            return None
        t = self.pick([t for t in self.tables if t.trigger])
        if not t:
            return None
        tn, tg = q(t.name), q(t.trigger)
        body = f"ALTER TABLE {tn} DISABLE TRIGGER {tg};\nUPDATE {tn} SET amount = round(amount, 2) WHERE amount IS NOT NULL;\n"
        up = body + f"ALTER TABLE {tn} ENABLE TRIGGER {tg};\n"
        down = body + (f"ALTER TABLE {tn} ENABLE TRIGGER {tg};\n" if cls == "exact" else "")
        return (f"backfill_{t.name}_amount", up, down)

    def t_enum(self, cls):
        if cls not in ("exact", "enum-order"):
            return None
        live = [e for e, v in self.enums.items() if v]
        if not live:
            return None
        en = self.pick(sorted(live))
        labels, t, col = self.enums[en]
        new = self.uid("on_hold").replace("_", "-")
        up = f"ALTER TYPE {q(en)} ADD VALUE {lit(new)};\n"
        back = list(labels)
        if cls == "enum-order":
            back = sorted(labels) if sorted(labels) != labels else labels[1:] + labels[:1]
        old = q(en[:50] + "_old")
        down = (f"ALTER TYPE {q(en)} RENAME TO {old};\nCREATE TYPE {q(en)} AS ENUM ({', '.join(map(lit, back))});\n"
                f"ALTER TABLE {q(t.name)} ALTER COLUMN {q(col)} TYPE {q(en)} USING {q(col)}::text::{q(en)};\n"
                f"DROP TYPE {old};\n")
        self.enums[en] = None if cls != "exact" else (labels + [new], t, col)
        return (f"add_{en}_value", up, down)

    def index_def(self, t):
        c = self.pick([c for c in t.cols if c.typ.startswith("character varying") or c.typ == "text"])
        kind = self.rng.random()
        if c and kind < 0.3:
            return c, f"(lower({q(c.name)}))", ""
        if kind < 0.6:
            return None, "(tenant_id, updated_at)", " WHERE amount > 0"
        if c and "pg_trgm" in self.exts and kind < 0.7:
            return c, f"USING gin ({q(c.name)} gin_trgm_ops)", ""
        return None, "(amount DESC, id)", ""

    def t_index(self, cls):
        if cls not in ("exact", "index-left", "fail-constraint-index-name"):
            return None
        t = self.pick(self.tables)
        if not t:
            return None
        c, cols, where = self.index_def(t)
        if c:
            c.pinned = True
        idx = self.uid(f"{t.name.lower()}_idx")
        uniq = "UNIQUE " if cls == "fail-constraint-index-name" else ""
        if uniq:
            cols, where = "(tenant_id, id)", ""
        on = f"{q(t.name)} {cols}" if cols.startswith("USING") else f"{q(t.name)} {cols}"
        up = f"CREATE {uniq}INDEX IF NOT EXISTS {q(idx)} ON {on}{where};\n"
        down = f"DROP INDEX {q(idx)};\n"
        if cls == "fail-constraint-index-name":
            down = f"ALTER TABLE {q(t.name)} DROP CONSTRAINT {q(idx)};\n"
        if cls == "index-left" or (cls == "exact" and self.rng.random() < 0.3):
            idx2 = self.uid(f"{t.name.lower()}_idx")
            up += f"CREATE INDEX IF NOT EXISTS {q(idx2)} ON {q(t.name)} (created_at) WHERE tenant_id IS NOT NULL;\n"
            if cls == "exact":
                down += f"DROP INDEX {q(idx2)};\n"
        return (f"index_{idx}", up, down)

    def t_cic(self, cls):
        if cls not in ("exact", "fail-cic-in-tx"):
            return None
        t = self.pick(self.tables)
        if not t:
            return None
        idx = self.uid(f"{t.name.lower()}_created_idx")
        up = f"-- strata:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS {q(idx)} ON {q(t.name)} (created_at, id);\n"
        down = f"DROP INDEX CONCURRENTLY IF EXISTS {q(idx)};\n"
        if cls == "exact":
            down = "-- strata:no-transaction\n" + down
        return (f"index_{idx}_concurrently", up, down, True, cls == "exact")

    def t_check(self, cls):
        if cls not in ("exact", "check-changed"):
            return None
        cands = [(t, n) for t in self.tables for n in t.checks]
        if not cands:
            return None
        t, ck = self.pick(cands)
        old = t.checks[ck]
        new = "amount >= 0 AND amount < 1000000" if old == "amount >= 0" else "amount >= 0"
        tn = q(t.name)
        up = f"ALTER TABLE {tn} DROP CONSTRAINT {q(ck)},\n    ADD CONSTRAINT {q(ck)} CHECK ({new});\n"
        back = old if cls == "exact" else "amount > 0"
        down = f"ALTER TABLE {tn} DROP CONSTRAINT {q(ck)},\n    ADD CONSTRAINT {q(ck)} CHECK ({back});\n"
        t.checks[ck] = new
        return (f"check_{ck}", up, down)

    def t_fk(self, cls):
        if cls not in ("exact", "fail-drop-missing") or len(self.tables) < 2:
            return None
        a, b = self.rng.sample(self.tables, 2)
        c = Col(self.uid("ref"), "bigint")
        c.pinned = True
        fk = f"{a.name.lower()}_{c.name}_fkey"[:60]
        a.cols.append(c)
        up = (f"ALTER TABLE {q(a.name)} ADD COLUMN {q(c.name)} bigint;\n"
              f"ALTER TABLE {q(a.name)} ADD CONSTRAINT {q(fk)} FOREIGN KEY ({q(c.name)}) REFERENCES {q(b.name)} (id)"
              f" ON DELETE SET NULL NOT VALID;\nALTER TABLE {q(a.name)} VALIDATE CONSTRAINT {q(fk)};\n")
        down = (f"ALTER TABLE {q(a.name)} DROP CONSTRAINT {q(fk if cls == 'exact' else 'fk_' + c.name)};\n"
                f"ALTER TABLE {q(a.name)} DROP COLUMN {q(c.name)};\n")
        return (f"link_{a.name}_{b.name}", up, down)

    def t_view(self, cls):
        if cls not in ("exact", "comment-lost"):
            return None
        replace = [v for v, (t, cols, cm) in self.views.items() if cm and "updated_at" not in cols]
        if cls == "comment-lost" or (replace and self.rng.random() < 0.4):
            if not replace:
                return None
            v = self.pick(sorted(replace))
            t, cols, cm = self.views[v]
            old = f"CREATE VIEW {q(v)} AS\n    SELECT {', '.join(cols)}\n    FROM {q(t.name)}\n    WHERE amount > 0;\n"
            new_cols = cols + ["updated_at"]
            up = f"CREATE OR REPLACE VIEW {q(v)} AS\n    SELECT {', '.join(new_cols)}\n    FROM {q(t.name)}\n    WHERE amount > 0;\n"
            down = f"DROP VIEW {q(v)};\n" + old
            if cls == "exact":
                down += f"COMMENT ON VIEW {q(v)} IS {lit(cm)};\n"
            self.views[v] = (t, new_cols, cm if cls == "exact" else None)  # the reapply keeps it lost
            return (f"extend_view_{v}", up, down)
        t = self.pick(self.tables)
        if not t:
            return None
        v = self.uid(f"active_{t.name.lower()}")
        cols = ["id", "tenant_id", "amount", "created_at"]
        cm = self.pick(["what the dashboard lists", "positive amounts only; «sic»", None])
        up = f"CREATE VIEW {q(v)} AS\n    SELECT {', '.join(cols)}\n    FROM {q(t.name)}\n    WHERE amount > 0;\n"
        if cm:
            up += f"COMMENT ON VIEW {q(v)} IS {lit(cm)};\n"
        self.views[v] = (t, cols, cm)
        return (f"view_{v}", up, f"DROP VIEW {q(v)};\n")

    def t_matview(self, cls):
        t = self.pick(self.tables)
        if cls != "exact" or not t:
            return None
        mv = self.uid(f"{t.name.lower()}_daily")
        up = (f"CREATE MATERIALIZED VIEW {q(mv)} AS\n    SELECT tenant_id, date_trunc('day', created_at) AS day,"
              f" sum(amount) AS total, count(*) AS n\n    FROM {q(t.name)}\n    GROUP BY 1, 2\nWITH NO DATA;\n"
              f"CREATE UNIQUE INDEX {q(mv + '_key')} ON {q(mv)} (tenant_id, day);\n")
        return (f"matview_{mv}", up, f"DROP MATERIALIZED VIEW {q(mv)};\n")

    def t_sequence(self, cls):
        if cls != "exact":
            return None
        s = self.uid("invoice_number_seq")
        up = f"CREATE SEQUENCE {q(s)} AS bigint START WITH 10000 INCREMENT BY 10 MINVALUE 10000 CACHE 1;\n"
        if self.rng.random() < 0.5 and self.tables:
            t = self.pick(self.tables)
            c = Col(self.uid("number"), "bigint", True, f"nextval('{s}'::regclass)")
            c.pinned = True
            t.cols.append(c)
            up += (f"ALTER TABLE {q(t.name)} ADD COLUMN {q(c.name)} bigint NOT NULL DEFAULT nextval({lit(s)});\n"
                   f"ALTER SEQUENCE {q(s)} OWNED BY {q(t.name)}.{q(c.name)};\n")
            return (f"sequence_{s}", up, f"ALTER TABLE {q(t.name)} DROP COLUMN {q(c.name)};\n")
        return (f"sequence_{s}", up, f"DROP SEQUENCE {q(s)};\n")

    def t_domain(self, cls):
        if cls != "exact":
            return None
        d = self.uid("positive_amount")
        base = "numeric(12,2)"
        up = f"CREATE DOMAIN {q(d)} AS {base} NOT NULL DEFAULT 0 CONSTRAINT {q(d + '_check')} CHECK (VALUE >= 0);\n"
        if "citext" in self.exts and self.rng.random() < 0.5:
            d = self.uid("email_address")
            up = f"CREATE DOMAIN {q(d)} AS citext CHECK (VALUE ~ '^[^@]+@[^@]+$');\n"
        return (f"domain_{d}", up, f"DROP DOMAIN {q(d)};\n")

    def t_comment(self, cls):
        if cls not in ("exact", "comment-lost"):
            return None
        t = self.pick([t for t in self.tables if t.comment])
        if not t:
            return None
        new = self.pick(["one row per billing period", "Zählerstände (kWh)", "soft-deleted rows kept 30 days"])
        if new == t.comment:
            return None
        up = f"COMMENT ON TABLE {q(t.name)} IS {lit(new)};\n"
        down = f"COMMENT ON TABLE {q(t.name)} IS {lit(t.comment) if cls == 'exact' else 'NULL'};\n"
        t.comment = new
        return (f"comment_{t.name}", up, down)

    def t_rls(self, cls):
        if cls not in ("exact", "rls-left"):
            return None
        t = self.pick([t for t in self.tables if not t.rls])
        if not t:
            return None
        p = f"{t.name.lower()}_tenant_isolation"[:60]
        up = (f"ALTER TABLE {q(t.name)} ENABLE ROW LEVEL SECURITY;\n"
              f"CREATE POLICY {q(p)} ON {q(t.name)}\n    USING (tenant_id = current_setting('app.tenant_id')::bigint);\n")
        down = f"DROP POLICY {q(p)} ON {q(t.name)};\n"
        if cls == "exact":
            down += f"ALTER TABLE {q(t.name)} DISABLE ROW LEVEL SECURITY;\n"
        t.rls = True
        return (f"rls_{t.name}", up, down)

    def t_partition(self, cls):
        if cls not in ("exact", "table-left"):
            return None
        parts = [t for t in self.tables if getattr(t, "parts", None) is not None]
        if cls == "exact" and (not parts or self.rng.random() < 0.4):
            name = self.uid("events")
            t = Table(name)
            t.parts = 1
            up = (f"CREATE TABLE {q(name)} (\n    id bigint GENERATED BY DEFAULT AS IDENTITY,\n    tenant_id bigint NOT NULL,\n"
                  f"    kind character varying(40) NOT NULL,\n    payload jsonb NOT NULL DEFAULT '{{}}'::jsonb,\n"
                  f"    created_at timestamp with time zone NOT NULL DEFAULT now(),\n    PRIMARY KEY (id, created_at)\n"
                  f") PARTITION BY RANGE (created_at);\n"
                  f"CREATE TABLE {q(name + '_2024')} PARTITION OF {q(name)}\n    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
                  f"CREATE TABLE {q(name + '_default')} PARTITION OF {q(name)} DEFAULT;\n"
                  f"CREATE INDEX {q(name + '_tenant_idx')} ON {q(name)} (tenant_id, created_at);\n")
            self.part_tables = getattr(self, "part_tables", []) + [t]
            t.year = 2024
            return (f"create_{name}", up, f"DROP TABLE {q(name)};\n")
        pt = self.pick(getattr(self, "part_tables", []))
        if not pt:
            return None
        pt.year += 1
        p = f"{pt.name}_{pt.year}"
        up = (f"CREATE TABLE IF NOT EXISTS {q(p)} (LIKE {q(pt.name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS);\n"
              f"ALTER TABLE {q(pt.name)} ATTACH PARTITION {q(p)}\n    FOR VALUES FROM ('{pt.year}-01-01') TO ('{pt.year + 1}-01-01');\n")
        down = f"ALTER TABLE {q(pt.name)} DETACH PARTITION {q(p)};\n"
        if cls == "exact":
            down += f"DROP TABLE {q(p)};\n"
        return (f"partition_{p}", up, down)

    def t_identity(self, cls):
        t = self.pick(self.tables)
        if cls != "exact" or not t or getattr(t, "by_default", False):
            return None
        t.by_default = True
        tn = q(t.name)
        return (f"identity_{t.name}", f"ALTER TABLE {tn} ALTER COLUMN id SET GENERATED BY DEFAULT;\n",
                f"ALTER TABLE {tn} ALTER COLUMN id SET GENERATED ALWAYS;\n")

    def t_rename(self, cls):
        if cls != "exact":
            return None
        cands = [(t, c) for t in self.tables for c in self.free_cols(t)]
        if not cands:
            return None
        t, c = self.pick(cands)
        new = self.uid(c.name.lower()[:20] + "_v")
        tn = q(t.name)
        up = f"ALTER TABLE {tn} RENAME COLUMN {q(c.name)} TO {q(new)};\n"
        down = f"ALTER TABLE {tn} RENAME COLUMN {q(new)} TO {q(c.name)};\n"
        c.name = new
        return (f"rename_{t.name}_{new}", up, down)

    # ---- probes: object kinds beyond the list ----

    # An up applied again after its down keeps what it made: a probe picks a
    # table it has not touched yet, or names its object afresh.
    def t_grant(self, cls):
        t = self.pick([t for t in self.tables if not getattr(t, "granted", False)])
        if cls not in ("exact", "grant-left") or not t:
            return None
        t.granted = True
        up = f"GRANT SELECT, INSERT, UPDATE ON {q(t.name)} TO strata_oracle_app;\n"
        down = (f"REVOKE SELECT, INSERT, UPDATE ON {q(t.name)} FROM strata_oracle_app;\n" if cls == "exact"
                else f"REVOKE INSERT, UPDATE ON {q(t.name)} FROM strata_oracle_app;\n")
        return (f"grant_{t.name}", up, down)

    def t_rule(self, cls):
        t = self.pick(self.tables)
        if cls not in ("exact", "rule-left") or not t:
            return None
        c = Col(self.uid("locked"), "boolean", True, "false")
        t.cols.append(c)
        r = self.uid(f"{t.name.lower()}_no_delete")
        up = (f"ALTER TABLE {q(t.name)} ADD COLUMN {q(c.name)} boolean DEFAULT false NOT NULL;\n"
              f"CREATE OR REPLACE RULE {q(r)} AS ON DELETE TO {q(t.name)} DO INSTEAD NOTHING;\n")
        down = f"ALTER TABLE {q(t.name)} DROP COLUMN {q(c.name)};\n"
        if cls == "exact":
            down = f"DROP RULE {q(r)} ON {q(t.name)};\n" + down
        return (f"protect_{t.name}", up, down)

    def t_statistics(self, cls):
        t = self.pick(self.tables)
        if cls not in ("exact", "statistics-left") or not t:
            return None
        st = self.uid(f"{t.name.lower()}_stats")
        c = Col(self.uid("region"), "text")
        t.cols.append(c)
        up = (f"ALTER TABLE {q(t.name)} ADD COLUMN {q(c.name)} text;\n"
              f"CREATE STATISTICS IF NOT EXISTS {q(st)} (dependencies) ON tenant_id, created_at FROM {q(t.name)};\n")
        down = f"ALTER TABLE {q(t.name)} DROP COLUMN {q(c.name)};\n"
        if cls == "exact":
            down = f"DROP STATISTICS {q(st)};\n" + down
        return (f"stats_{st}", up, down)

    def t_stattarget(self, cls):
        t = self.pick([t for t in self.tables if not getattr(t, "tuned", False)])
        if cls not in ("exact", "stattarget-left") or not t:
            return None
        t.tuned = True
        idx = self.uid(f"{t.name.lower()}_tenant_idx")
        up = (f"ALTER TABLE {q(t.name)} ALTER COLUMN tenant_id SET STATISTICS 1000;\n"
              f"CREATE INDEX IF NOT EXISTS {q(idx)} ON {q(t.name)} (tenant_id, amount);\n")
        down = f"DROP INDEX {q(idx)};\n"
        if cls == "exact":
            down = f"ALTER TABLE {q(t.name)} ALTER COLUMN tenant_id SET STATISTICS -1;\n" + down
        return (f"tune_{t.name}", up, down)

    def t_extension_update(self, cls):
        left = [p for p in PINNED if p[0] in self.exts and p[0] not in self.updated]
        if cls not in ("exact", "extension-version") or len(left) <= (2 if cls == "exact" else 0):
            return None  # two are kept for the defects
        e, old, new = left[0]
        self.updated.add(e)  # the reapply leaves it updated
        up = f"ALTER EXTENSION {q(e)} UPDATE TO {lit(new)};\n"
        # no downgrade script ships with contrib: the down re-creates it, and must say which version
        down = f"DROP EXTENSION {q(e)};\nCREATE EXTENSION {q(e)}" + (f" VERSION {lit(old)}" if cls == "exact" else "") + ";\n"
        return (f"update_{e}", up, down)

    TEMPLATES = ["t_create_table", "t_add_column", "t_drop_column", "t_alter_type", "t_set_default", "t_function",
                 "t_trigger", "t_backfill", "t_enum", "t_index", "t_cic", "t_check", "t_fk", "t_view", "t_matview",
                 "t_sequence", "t_domain", "t_comment", "t_rls", "t_partition", "t_identity", "t_rename"]
    PROBE_TEMPLATES = ["t_grant", "t_rule", "t_statistics", "t_stattarget", "t_extension_update"]

    def one(self, cls, probe):
        names = list(self.PROBE_TEMPLATES if probe else self.TEMPLATES)
        self.rng.shuffle(names)
        for n in names:
            r = getattr(self, n)(cls)
            if r:
                return r
        return None

    def schedule(self):
        n = self.count
        k = max(1, n // 100)  # per class: 3 for 300 migrations
        plan = [c for c in FAILS for _ in range(k)] + [c for c in DIFFERS for _ in range(k)]
        plan += ["col-reorder"] * (3 * k) + [c for c in PROBES for _ in range(max(1, k // 2 + 1))]
        plan += ["exact"] * max(0, n - PRELUDE - len(plan))
        self.rng.shuffle(plan)
        return ["exact"] * PRELUDE + plan

    def run(self):
        plan = self.schedule()
        i = 0
        while i < len(plan):
            cls = plan[i]
            probe = cls in PROBES or (cls == "exact" and self.rng.random() < 0.04 and self.tables)
            if i < PRELUDE_EXT:
                r = self.t_extension("exact")
            elif i < PRELUDE:
                r = self.t_create_table("exact")
            else:
                r = self.one(cls, probe)
                if r is None:  # no object fits this class yet: later, and an exact one now
                    later = [j for j in range(i + 1, len(plan)) if plan[j] == "exact"]
                    if later:  # take the place of a later exact one: the count stays
                        plan[self.rng.choice(later)] = cls
                    cls, probe = "exact", False
                    r = self.one(cls, False)
            i += 1
            verdict = ("fails" if cls in FAILS else "differs" if cls in DIFFERS or cls in PROBES
                       else "column-order" if cls == "col-reorder" else "exact")
            up_notx, down_notx = (r[3], r[4]) if len(r) > 3 else (False, False)
            self.migs.append((r[0], r[1], r[2], up_notx, down_notx, verdict, cls, "probe" if probe else "core"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=12)
    a = ap.parse_args()
    g = Gen(random.Random(a.seed), a.count)
    g.run()
    mdir = os.path.join(a.out, "migrations")
    os.makedirs(mdir, exist_ok=True)
    t0 = datetime.datetime(2023, 1, 9, 8, 0, 0)
    with open(os.path.join(a.out, "truth.tsv"), "w", encoding="utf-8") as truth:
        for i, (name, up, down, up_notx, down_notx, verdict, cls, kind) in enumerate(g.migs):
            v = (t0 + datetime.timedelta(hours=7 * i, minutes=13 * i)).strftime("%Y%m%d%H%M%S")
            slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60]
            if i % 37 == 5:  # a form feed between statements, as some editors leave them
                up = up.replace(";\n", ";\n\f\n", 1)
            for ext, text in (("up", up), ("down", down)):
                head, _, rest = text.partition("\n") if text.startswith("-- strata:") else ("", "", text)
                with open(os.path.join(mdir, f"{v}_{slug}.{ext}.sql"), "w", encoding="utf-8") as f:
                    f.write((head + "\n" if head else "") + f"-- {name} ({ext})\n" + rest)
            truth.write(f"{v}\t{verdict}\t{cls}\t{kind}\n")


if __name__ == "__main__":
    main()
