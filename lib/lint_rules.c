/* The lint rules (design.md section 9): each knows the lock a statement
 * takes, what it blocks or breaks on a live table, and the safe recipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint.h"

#define E STRATA_SEVERITY_ERROR
#define W STRATA_SEVERITY_WARNING
#define I STRATA_SEVERITY_INFO

const rule_info lint_rules[] = {
    {"index-not-concurrent", E,
     "CREATE INDEX takes a SHARE lock on an existing table: every INSERT, UPDATE and DELETE waits "
     "until the whole index is built",
     "CREATE INDEX CONCURRENTLY in a `-- strata:no-transaction` migration"},
    {"drop-index-not-concurrent", W,
     "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: reads and writes wait",
     "DROP INDEX CONCURRENTLY in a `-- strata:no-transaction` migration"},
    {"reindex-not-concurrent", W,
     "REINDEX locks out writes (and reads using the index) for the whole rebuild",
     "REINDEX ... CONCURRENTLY (PostgreSQL 12+) in a `-- strata:no-transaction` migration"},
    {"concurrently-in-transaction", E,
     "a CONCURRENTLY operation cannot run inside a transaction block: the migration fails at run time",
     "put `-- strata:no-transaction` at the top of the migration (statements then run one by one)"},
    {"add-column-volatile-default", E,
     "a volatile DEFAULT (or any default before PostgreSQL 11) rewrites the whole table under an "
     "ACCESS EXCLUSIVE lock",
     "add the column nullable without default, SET DEFAULT for new rows, backfill old rows in a "
     "`-- strata:batch` migration"},
    {"add-column-rewrite-type", E,
     "serial, identity and GENERATED ... STORED columns rewrite the whole table under an ACCESS "
     "EXCLUSIVE lock",
     "add a plain column, attach the sequence or expression for new rows, backfill in batches"},
    {"add-column-required", E,
     "ADD COLUMN ... NOT NULL without a default fails on a table with rows, and breaks the running "
     "release's INSERTs that do not name the column",
     "add the column nullable, backfill it in batches, then apply the set-not-null recipe"},
    {"set-not-null", W,
     "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
     "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; then in a later migration VALIDATE "
     "CONSTRAINT c; then SET NOT NULL (PostgreSQL 12+ skips the scan) and DROP CONSTRAINT c"},
    {"fk-without-not-valid", E,
     "ADD FOREIGN KEY locks both tables (SHARE ROW EXCLUSIVE) and scans the referencing one",
     "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
    {"check-without-not-valid", W,
     "ADD CHECK scans the whole table under an ACCESS EXCLUSIVE lock",
     "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
    {"validate-same-transaction", W,
     "VALIDATE in the same transaction as the NOT VALID constraint keeps the ADD's ACCESS EXCLUSIVE "
     "lock for the whole scan, undoing the point of NOT VALID",
     "move VALIDATE CONSTRAINT to its own, later migration"},
    {"unique-constraint-direct", E,
     "ADD UNIQUE / PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock",
     "CREATE UNIQUE INDEX CONCURRENTLY (no-transaction migration), then ADD CONSTRAINT ... UNIQUE "
     "USING INDEX"},
    {"alter-column-type", E,
     "ALTER COLUMN TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless "
     "binary-coercible, such as varchar widening or varchar to text)",
     "add a new column, write both, backfill in batches, switch reads, drop the old column"},
    {"rename-column", E,
     "RENAME COLUMN breaks every running query that names the old column",
     "add the new column, write both, backfill, switch reads, drop the old one in a contract "
     "migration"},
    {"rename-table", E,
     "RENAME TABLE breaks every running query that names the old table",
     "create the new table (or rename and leave a compatibility view under the old name)"},
    {"drop-column", E,
     "DROP COLUMN breaks running code that still reads it and loses its data",
     "stop using the column in a release, then drop it in a `-- strata:phase contract` migration"},
    {"drop-table", E,
     "DROP TABLE / DROP SCHEMA / TRUNCATE ... CASCADE destroys data and breaks running code",
     "make sure nothing uses it, then allow it explicitly with `-- strata:allow drop-table -- reason`"},
    {"drop-not-null", W,
     "DROP NOT NULL lets NULLs in that running code assumes cannot exist",
     "check the readers, then allow it explicitly with `-- strata:allow drop-not-null -- reason`"},
    {"missing-lock-timeout", W,
     "with lock_timeout off, this statement queues for its lock and every later reader and writer "
     "of the table queues behind it",
     "keep the runner's lock_timeout (default 5s) or SET lock_timeout = '5s' in the migration"},
    {"statement-after-exclusive-lock", W,
     "an ACCESS EXCLUSIVE lock taken earlier in this transaction is held while this statement runs",
     "put the strong-lock statement last in its migration, or split the migration"},
    {"schema-and-data-mixed", W,
     "DDL and DML in one migration: the DDL's locks are held while the data changes run",
     "put the schema change and the data change in separate migrations"},
    {"unbatched-dml", W,
     "UPDATE / DELETE of an existing table in one transaction locks every row it touches and bloats "
     "the table",
     "a `-- strata:batch` migration that changes a bounded number of rows per run"},
    {"transaction-control", W,
     "BEGIN / COMMIT / ROLLBACK inside a migration: strata runs it as written, not atomically with "
     "its history row",
     "remove them and let the runner own the transaction (or use `-- strata:no-transaction`)"},
    {"detach-partition-not-concurrent", W,
     "DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the parent table",
     "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) in a `-- strata:no-transaction` migration"},
    {"enum-value-unordered", I,
     "the enum's sort order or existing values change for running code",
     "give the position explicitly (BEFORE/AFTER); instead of renaming, add a value and backfill"},
    {"table-rewrite-maintenance", E,
     "VACUUM FULL, CLUSTER and REFRESH MATERIALIZED VIEW hold an ACCESS EXCLUSIVE lock for the "
     "whole rewrite",
     "pg_repack for tables; REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index)"},
    {"irreversible", I,
     "there is no down SQL, so this migration cannot be rolled back",
     "write the down migration, or allow it on purpose with `-- strata:allow irreversible -- reason`"},
    {"unparsed", W,
     "the linter could not verify this statement",
     "check it by hand; if it is valid SQL for a newer PostgreSQL, allow it with `-- strata:allow "
     "unparsed -- reason`"},
    {"allow-unknown-rule", W, "the directive has no effect", "fix the rule id (see doc/safety.md)"},
    {"allow-unused", W, "the directive has no effect here", "remove the rule from strata:allow"},
};
const size_t lint_rule_count = sizeof lint_rules / sizeof lint_rules[0];

const rule_info *lint_rule(const char *id)
{
    for (size_t i = 0; i < lint_rule_count; i++)
        if (strcmp(lint_rules[i].id, id) == 0)
            return &lint_rules[i];
    return NULL;
}

char *lint_relname(const PgQuery__RangeVar *rv)
{
    sbuf b;
    sbuf_init(&b);
    if (rv && rv->schemaname && *rv->schemaname)
        sbuf_printf(&b, "%s.", rv->schemaname);
    sbuf_puts(&b, rv && rv->relname ? rv->relname : "?");
    return sbuf_take(&b);
}

bool lint_is_new(const lint_ctx *c, const PgQuery__RangeVar *rv)
{
    char *n = lint_relname(rv);
    bool yes = n && (strvec_has(&c->created, n) || (rv && strvec_has(&c->created, rv->relname)));
    free(n);
    return yes;
}

static const char *str_of(const PgQuery__Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string ? n->string->sval : NULL;
}

/* Type as written, e.g. "varchar(20)", "text", "serial". */
static char *type_text(const PgQuery__TypeName *t)
{
    sbuf b;
    sbuf_init(&b);
    if (t && t->n_names)
        sbuf_puts(&b, str_of(t->names[t->n_names - 1]) ? str_of(t->names[t->n_names - 1]) : "?");
    for (size_t i = 0; t && i < t->n_typmods; i++) {
        const PgQuery__Node *m = t->typmods[i];
        int v = m->node_case == PG_QUERY__NODE__NODE_A_CONST && m->a_const->val_case ==
                    PG_QUERY__A__CONST__VAL_IVAL ? m->a_const->ival->ival : -1;
        sbuf_printf(&b, "%s%d", i ? "," : "(", v);
    }
    if (t && t->n_typmods)
        sbuf_puts(&b, ")");
    return sbuf_take(&b);
}

static bool is_varchar(const char *t)
{
    return strncmp(t, "varchar", 7) == 0;
}

/* Binary-coercible changes need no rewrite: varchar widening, varchar or
 * text to text, unbounded varchar. */
static bool coercible(const char *old, const char *new_)
{
    if (!old)
        return false;
    if (strcmp(old, new_) == 0)
        return true;
    if (strcmp(new_, "text") == 0 && (is_varchar(old) || strcmp(old, "text") == 0))
        return true;
    if (strcmp(new_, "varchar") == 0 && is_varchar(old))
        return true;
    if (is_varchar(old) && is_varchar(new_) && old[7] == '(' && new_[7] == '(')
        return atoi(new_ + 8) >= atoi(old + 8);
    return false;
}

static const char *remembered_type(const lint_ctx *c, const char *rel, const char *col)
{
    size_t n = strlen(rel) + strlen(col) + 2;
    const char *found = NULL;
    for (size_t i = 0; i < c->mem->coltypes.n; i++) {
        const char *e = c->mem->coltypes.items[i];
        if (strncmp(e, rel, strlen(rel)) == 0 && e[strlen(rel)] == '.' &&
            strncmp(e + strlen(rel) + 1, col, strlen(col)) == 0 && e[n - 1] == '=')
            found = e + n; /* the latest definition wins */
    }
    return found;
}

static void remember_type(lint_ctx *c, const char *rel, const char *col, const PgQuery__TypeName *t)
{
    char *tt = type_text(t);
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%s.%s=%s", rel, col, tt ? tt : "?");
    if (!b.oom)
        strvec_add(&c->mem->coltypes, b.data);
    sbuf_free(&b);
    free(tt);
}

/* Functions whose every call gives a new value: as a default they force
 * PostgreSQL to compute and write it into every existing row. */
static bool volatile_call(const ProtobufCMessage *m)
{
    static const char *const names[] = {"random", "gen_random_uuid", "uuid_generate_v1",
                                        "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp",
                                        "timeofday", "nextval", "txid_current", "setseed"};
    const ProtobufCMessageDescriptor *d;
    if (!m)
        return false;
    d = m->descriptor;
    if (d == &pg_query__func_call__descriptor) {
        const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
        const char *fn = f->n_funcname ? str_of(f->funcname[f->n_funcname - 1]) : NULL;
        for (size_t i = 0; fn && i < sizeof names / sizeof names[0]; i++)
            if (strcasecmp(fn, names[i]) == 0)
                return true;
    }
    /* walk every sub-message through protobuf-c's reflection */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        const char *base = (const char *)m;
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + fd->quantifier_offset);
            ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + fd->offset);
            for (size_t k = 0; k < n; k++)
                if (volatile_call(arr[k]))
                    return true;
        } else {
            if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                uint32_t which = *(const uint32_t *)(base + fd->quantifier_offset);
                if (which != fd->id)
                    continue;
            }
            if (volatile_call(*(ProtobufCMessage *const *)(base + fd->offset)))
                return true;
        }
    }
    return false;
}

static void strong_lock(lint_ctx *c, bool new_table, bool exclusive, const char *what)
{
    if (new_table)
        return;
    if (c->ddl_at == -1)
        c->ddl_at = c->stmt_at;
    if (c->lock_timeout_off)
        lint_add(c, "missing-lock-timeout", -1, "%s with lock_timeout disabled", what);
    if (exclusive && !c->m->d.no_transaction)
        c->exclusive_at = c->stmt_at;
}

static void check_add_column(lint_ctx *c, const char *rel, const PgQuery__ColumnDef *cd, bool new_table)
{
    const PgQuery__Constraint *dflt = NULL;
    bool not_null = cd->is_not_null, rewrite = false;
    char *tt = type_text(cd->type_name);
    if (tt && (strcmp(tt, "serial") == 0 || strcmp(tt, "bigserial") == 0 ||
               strcmp(tt, "smallserial") == 0 || strcmp(tt, "serial4") == 0 || strcmp(tt, "serial8") == 0))
        rewrite = true;
    for (size_t i = 0; i < cd->n_constraints; i++) {
        const PgQuery__Node *n = cd->constraints[i];
        if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
            continue;
        const PgQuery__Constraint *k = n->constraint;
        if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT)
            dflt = k;
        else if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL ||
                 k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
            not_null = true;
        else if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY ||
                 k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED)
            rewrite = true;
    }
    remember_type(c, rel, cd->colname, cd->type_name);
    if (!new_table) {
        if (rewrite)
            lint_add(c, "add-column-rewrite-type", cd->location, "ADD COLUMN %s %s", cd->colname, tt ? tt : "");
        else if (dflt && volatile_call((const ProtobufCMessage *)dflt->raw_expr))
            lint_add(c, "add-column-volatile-default", dflt->location,
                     "ADD COLUMN %s with a volatile DEFAULT", cd->colname);
        else if (dflt && c->pgv < 11)
            lint_add(c, "add-column-volatile-default", dflt->location,
                     "ADD COLUMN %s with a DEFAULT on PostgreSQL %d", cd->colname, (int)c->pgv);
        if (not_null && !dflt && !rewrite)
            lint_add(c, "add-column-required", cd->location, "ADD COLUMN %s NOT NULL without a default",
                     cd->colname);
    }
    free(tt);
}

static void note_not_valid(lint_ctx *c, const char *rel, const PgQuery__Constraint *k)
{
    if (!k->conname)
        return;
    strvec_add(&c->notvalid, k->conname);
    /* CHECK (col IS NOT NULL): the first step of the set-not-null recipe */
    const PgQuery__Node *e = k->raw_expr;
    if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK && e &&
        e->node_case == PG_QUERY__NODE__NODE_NULL_TEST &&
        e->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL && e->null_test->arg &&
        e->null_test->arg->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
        const PgQuery__ColumnRef *cr = e->null_test->arg->column_ref;
        const char *col = cr->n_fields ? str_of(cr->fields[cr->n_fields - 1]) : NULL;
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "%s=%s.%s", k->conname, rel, col ? col : "?");
        if (!b.oom)
            strvec_add(&c->mem->notnull_checks, b.data);
        sbuf_free(&b);
    }
}

static void check_constraint(lint_ctx *c, const char *rel, const PgQuery__Constraint *k, bool new_table)
{
    if (k->skip_validation) {
        note_not_valid(c, rel, k);
        return;
    }
    if (new_table)
        return;
    switch (k->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        lint_add(c, "fk-without-not-valid", k->location, "ADD FOREIGN KEY on %s without NOT VALID", rel);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        lint_add(c, "check-without-not-valid", k->location, "ADD CHECK on %s without NOT VALID", rel);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        if (!k->indexname || !*k->indexname)
            lint_add(c, "unique-constraint-direct", k->location, "ADD %s on %s",
                     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ? "UNIQUE" : "PRIMARY KEY", rel);
        break;
    default:
        break;
    }
}

static void check_validate(lint_ctx *c, const char *rel, const char *name)
{
    if (!name)
        return;
    if (strvec_has(&c->notvalid, name) && !c->m->d.no_transaction)
        lint_add(c, "validate-same-transaction", -1, "VALIDATE CONSTRAINT %s in the migration that added it", name);
    size_t n = strlen(name);
    for (size_t i = 0; i < c->mem->notnull_checks.n; i++) {
        const char *e = c->mem->notnull_checks.items[i];
        if (strncmp(e, name, n) == 0 && e[n] == '=' && strncmp(e + n + 1, rel, strlen(rel)) == 0)
            strvec_add(&c->mem->proven_notnull, e + n + 1);
    }
}

static void check_alter_cmd(lint_ctx *c, const char *rel, const PgQuery__AlterTableCmd *cmd, bool new_table)
{
    const PgQuery__Node *def = cmd->def;
    char key[512];
    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            check_add_column(c, rel, def->column_def, new_table);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
        snprintf(key, sizeof key, "%s.%s", rel, cmd->name ? cmd->name : "?");
        if (!new_table && !(c->pgv >= 12 && strvec_has(&c->mem->proven_notnull, key)))
            lint_add(c, "set-not-null", -1, "ALTER COLUMN %s SET NOT NULL on %s", cmd->name, rel);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
        if (!new_table)
            lint_add(c, "drop-not-null", -1, "ALTER COLUMN %s DROP NOT NULL on %s", cmd->name, rel);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
        if (!new_table && c->m->d.phase != STRATA_PHASE_CONTRACT)
            lint_add(c, "drop-column", -1, "DROP COLUMN %s on %s outside the contract phase", cmd->name, rel);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && cmd->name) {
            char *tt = type_text(def->column_def->type_name);
            const char *old = remembered_type(c, rel, cmd->name);
            if (!new_table && tt && !coercible(old, tt))
                lint_add(c, "alter-column-type", def->column_def->location, "ALTER COLUMN %s TYPE %s on %s%s%s",
                         cmd->name, tt, rel, old ? " (was " : "", old ? old : "");
            remember_type(c, rel, cmd->name, def->column_def->type_name);
            free(tt);
        }
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
        if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            check_constraint(c, rel, def->constraint, new_table);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
        check_validate(c, rel, cmd->name);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
        if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD) {
            if (def->partition_cmd->concurrent && !c->m->d.no_transaction)
                lint_add(c, "concurrently-in-transaction", -1, "DETACH PARTITION CONCURRENTLY");
            else if (!def->partition_cmd->concurrent)
                lint_add(c, "detach-partition-not-concurrent", -1, "DETACH PARTITION on %s%s", rel,
                         c->pgv < 14 ? " (CONCURRENTLY needs PostgreSQL 14)" : "");
        }
        break;
    default:
        break;
    }
}

static bool weak_alter(const PgQuery__AlterTableCmd *cmd)
{
    /* VALIDATE takes SHARE UPDATE EXCLUSIVE; a concurrent detach waits politely */
    return cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint ||
           (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
            cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD && cmd->def->partition_cmd->concurrent);
}

static void check_alter_table(lint_ctx *c, const PgQuery__AlterTableStmt *st)
{
    bool new_table = lint_is_new(c, st->relation), exclusive = false;
    char *rel = lint_relname(st->relation);
    if (!rel)
        return;
    lint_set_table(c, st->relation);
    for (size_t i = 0; i < st->n_cmds; i++) {
        if (st->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
            continue;
        check_alter_cmd(c, rel, st->cmds[i]->alter_table_cmd, new_table);
        if (!weak_alter(st->cmds[i]->alter_table_cmd))
            exclusive = true;
    }
    if (st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || st->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
        strong_lock(c, new_table, exclusive, "ALTER TABLE");
    free(rel);
}

static void check_create(lint_ctx *c, const PgQuery__CreateStmt *st)
{
    char *rel = lint_relname(st->relation);
    if (!rel)
        return;
    strvec_add(&c->created, rel);
    for (size_t i = 0; i < st->n_table_elts; i++) {
        const PgQuery__Node *e = st->table_elts[i];
        if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            remember_type(c, rel, e->column_def->colname, e->column_def->type_name);
    }
    free(rel);
}

static bool has_option(PgQuery__Node *const *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && opts[i]->def_elem->defname &&
            strcmp(opts[i]->def_elem->defname, name) == 0)
            return true;
    return false;
}

static void check_index(lint_ctx *c, const PgQuery__IndexStmt *ix)
{
    bool new_table = lint_is_new(c, ix->relation);
    lint_set_table(c, ix->relation);
    if (ix->concurrent) {
        if (!c->m->d.no_transaction)
            lint_add(c, "concurrently-in-transaction", -1, "CREATE INDEX CONCURRENTLY");
        return;
    }
    if (!new_table)
        lint_add(c, "index-not-concurrent", -1, "CREATE INDEX on %s", ix->relation ? ix->relation->relname : "?");
    strong_lock(c, new_table, false, "CREATE INDEX");
}

static void check_drop(lint_ctx *c, const PgQuery__DropStmt *d)
{
    switch (d->remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        if (d->concurrent && !c->m->d.no_transaction)
            lint_add(c, "concurrently-in-transaction", -1, "DROP INDEX CONCURRENTLY");
        if (!d->concurrent) {
            lint_add(c, "drop-index-not-concurrent", -1, "DROP INDEX");
            strong_lock(c, false, true, "DROP INDEX");
        }
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: {
        bool all_new = d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && d->n_objects > 0;
        for (size_t i = 0; i < d->n_objects && all_new; i++) {
            const PgQuery__Node *o = d->objects[i];
            const char *name = o->node_case == PG_QUERY__NODE__NODE_LIST && o->list->n_items
                                   ? str_of(o->list->items[o->list->n_items - 1])
                                   : NULL;
            all_new = name && strvec_has(&c->created, name);
        }
        if (!all_new) {
            lint_add(c, "drop-table", -1, "DROP %s",
                     d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA ? "SCHEMA" : "TABLE");
            strong_lock(c, false, true, "DROP");
        }
        break;
    }
    default:
        break;
    }
}

static void check_set(lint_ctx *c, const PgQuery__VariableSetStmt *v)
{
    if (!v->name || strcmp(v->name, "lock_timeout") != 0)
        return;
    if (v->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE) {
        c->lock_timeout_off = c->s->lock_timeout_ms == 0;
        return;
    }
    bool off = false;
    if (v->n_args == 1 && v->args[0]->node_case == PG_QUERY__NODE__NODE_A_CONST) {
        const PgQuery__AConst *k = v->args[0]->a_const;
        if (k->val_case == PG_QUERY__A__CONST__VAL_IVAL)
            off = k->ival->ival == 0;
        else if (k->val_case == PG_QUERY__A__CONST__VAL_SVAL)
            off = atoi(k->sval->sval) == 0;
    }
    c->lock_timeout_off = off;
}

static void check_dml(lint_ctx *c, const PgQuery__RangeVar *rv, bool update_or_delete, const char *what)
{
    if (lint_is_new(c, rv))
        return;
    lint_set_table(c, rv);
    if (c->dml_at == -1)
        c->dml_at = c->stmt_at;
    if (update_or_delete && !c->m->d.batch)
        lint_add(c, "unbatched-dml", -1, "%s of %s in one statement", what, rv && rv->relname ? rv->relname : "?");
}

static void check_other(lint_ctx *c, const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        if (has_option(n->reindex_stmt->params, n->reindex_stmt->n_params, "concurrently")) {
            if (!c->m->d.no_transaction)
                lint_add(c, "concurrently-in-transaction", -1, "REINDEX CONCURRENTLY");
        } else {
            lint_add(c, "reindex-not-concurrent", -1, "REINDEX%s",
                     c->pgv < 12 ? " (CONCURRENTLY needs PostgreSQL 12)" : "");
        }
        break;
    case PG_QUERY__NODE__NODE_RENAME_STMT: {
        const PgQuery__RenameStmt *r = n->rename_stmt;
        bool new_table = lint_is_new(c, r->relation);
        if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN && !new_table)
            lint_add(c, "rename-column", -1, "RENAME COLUMN %s to %s", r->subname, r->newname);
        else if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && !new_table)
            lint_add(c, "rename-table", -1, "RENAME TABLE %s to %s", r->relation ? r->relation->relname : "?", r->newname);
        if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
            strong_lock(c, new_table, true, "RENAME");
        break;
    }
    case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT: {
        const PgQuery__AlterEnumStmt *e = n->alter_enum_stmt;
        if (e->old_val && *e->old_val)
            lint_add(c, "enum-value-unordered", -1, "RENAME VALUE %s", e->old_val);
        else if (e->new_val && (!e->new_val_neighbor || !*e->new_val_neighbor))
            lint_add(c, "enum-value-unordered", -1, "ADD VALUE %s without BEFORE/AFTER", e->new_val);
        break;
    }
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        if (n->vacuum_stmt->is_vacuumcmd && has_option(n->vacuum_stmt->options, n->vacuum_stmt->n_options, "full"))
            lint_add(c, "table-rewrite-maintenance", -1, "VACUUM FULL");
        break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        lint_add(c, "table-rewrite-maintenance", -1, "CLUSTER");
        break;
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
        if (!n->refresh_mat_view_stmt->concurrent)
            lint_add(c, "table-rewrite-maintenance", -1, "REFRESH MATERIALIZED VIEW without CONCURRENTLY");
        break;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        if (n->truncate_stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
            lint_add(c, "drop-table", -1, "TRUNCATE ... CASCADE");
        strong_lock(c, false, true, "TRUNCATE");
        break;
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
        lint_add(c, "transaction-control", -1, "transaction control statement");
        break;
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        check_dml(c, n->update_stmt->relation, true, "UPDATE");
        break;
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        check_dml(c, n->delete_stmt->relation, true, "DELETE");
        break;
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        check_dml(c, n->insert_stmt->relation, false, "INSERT");
        break;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        if (n->create_table_as_stmt->into && n->create_table_as_stmt->into->rel) {
            char *rel = lint_relname(n->create_table_as_stmt->into->rel);
            if (rel)
                strvec_add(&c->created, rel);
            free(rel);
        }
        break;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        check_set(c, n->variable_set_stmt);
        break;
    default:
        break;
    }
}

void lint_statement(lint_ctx *c, const PgQuery__Node *n)
{
    bool passive = n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT ||
                   n->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT;
    if (c->exclusive_at >= 0 && !passive) {
        lint_add(c, "statement-after-exclusive-lock", -1,
                 "statement runs while the ACCESS EXCLUSIVE lock taken at line %d is held",
                 (int)lint_line(c, c->exclusive_at));
        c->exclusive_at = -1;
    }
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        check_alter_table(c, n->alter_table_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        check_create(c, n->create_stmt);
        break;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        check_index(c, n->index_stmt);
        break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        check_drop(c, n->drop_stmt);
        break;
    default:
        check_other(c, n);
    }
    if (c->ddl_at >= 0 && c->dml_at >= 0) {
        int32_t at = c->ddl_at > c->dml_at ? c->ddl_at : c->dml_at;
        c->stmt_at = at;
        lint_add(c, "schema-and-data-mixed", at, "schema change and data change in one migration");
        c->ddl_at = c->dml_at = -2;
    }
}
