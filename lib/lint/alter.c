/* ALTER TABLE: each command to its rule, constraints (NOT VALID, VALIDATE,
 * UNIQUE/PRIMARY KEY) and the lock the statement takes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alter.h"
#include "columns.h"
#include "live.h"
#include "quote.h"
#include "types.h"

static void note_not_valid(lint_ctx *c, const char *rel, const PgQuery__Constraint *k)
{
    if (!k->conname)
        return;
    strvec_add(&c->notvalid, lint_q(c, k->conname));
    /* CHECK (col IS NOT NULL): the first step of the set-not-null recipe */
    const PgQuery__Node *e = k->raw_expr;
    if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK && e &&
        e->node_case == PG_QUERY__NODE__NODE_NULL_TEST &&
        e->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL && e->null_test->arg &&
        e->null_test->arg->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
        const PgQuery__ColumnRef *cr = e->null_test->arg->column_ref;
        const char *col = cr->n_fields ? lint_str(cr->fields[cr->n_fields - 1]) : NULL;
        sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "%s=%s.%s", lint_q(c, k->conname), rel, lint_q(c, col));
        if (!b.oom)
            strvec_add(&c->mem->notnull_checks, b.data);
        sbuf_free(&b);
    }
}

static void check_constraint(lint_ctx *c, const char *rel, const PgQuery__Constraint *k, bool new_table)
{
    const char *name = k->conname ? lint_q(c, k->conname) : NULL;
    if (k->skip_validation) {
        note_not_valid(c, rel, k);
        return;
    }
    if (new_table)
        return;
    switch (k->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        lint_add(c, "fk-without-not-valid", k->location, "ADD FOREIGN KEY %s%son %s without NOT VALID",
                 name ? name : "", name ? " " : "", rel);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        lint_add(c, "check-without-not-valid", k->location, "ADD CHECK %s%son %s without NOT VALID",
                 name ? name : "", name ? " " : "", rel);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        if (!k->indexname || !*k->indexname)
            lint_add(c, "unique-constraint-direct", k->location, "ADD %s %s%son %s",
                     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ? "UNIQUE" : "PRIMARY KEY",
                     name ? name : "", name ? " " : "", rel);
        break;
    default:
        break;
    }
}

static void check_validate(lint_ctx *c, const char *rel, const char *raw)
{
    if (!raw)
        return;
    const char *name = lint_q(c, raw);
    if (strvec_has(&c->notvalid, name) && !c->m->d.no_transaction)
        lint_add(c, "validate-same-transaction", -1, "VALIDATE CONSTRAINT %s in the migration that added it", name);
    size_t n = strlen(name), r = strlen(rel);
    for (size_t i = 0; i < c->mem->notnull_checks.n; i++) {
        const char *e = c->mem->notnull_checks.items[i];
        if (strncmp(e, name, n) == 0 && e[n] == '=' && strncmp(e + n + 1, rel, r) == 0 && e[n + 1 + r] == '.')
            strvec_add(&c->mem->proven_notnull, e + n + 1);
    }
}

/* USING the column itself, or a cast of it: the same conversion as none.
 * Any other expression computes new values, and the table is rewritten. */
static bool using_keeps_column(const PgQuery__Node *e, const char *col)
{
    if (!e)
        return true;
    if (e->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
        e = e->type_cast->arg;
    if (!e || e->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || !e->column_ref->n_fields)
        return false;
    const char *name = lint_str(e->column_ref->fields[e->column_ref->n_fields - 1]);
    return name && strcmp(name, col) == 0;
}

/* ALTER COLUMN TYPE: a rewrite unless PostgreSQL keeps the table as it is
 * for this change; the old type from the migrations read so far, else from
 * the live database. */
static void check_type_change(lint_ctx *c, const char *rel, const char *col, const PgQuery__ColumnDef *cd,
                              bool new_table)
{
    char *tt = type_text(cd->type_name);
    const char *old = remembered_type(c, rel, col);
    c->mem->oom |= !tt;
    bool keeps = using_keeps_column(cd->raw_default, col);
    if (!old && !new_table && !c->silent)
        old = lint_live_type(c, rel, col);
    if (!new_table && tt && !(keeps && lint_type_change_is_free(old, tt)))
        lint_add(c, "alter-column-type", cd->location, "ALTER COLUMN %s TYPE %s%s on %s%s%s%s", lint_q(c, col), tt,
                 keeps ? "" : " USING an expression", rel, old ? " (was " : "", old ? old : "", old ? ")" : "");
    remember_type(c, rel, col, cd->type_name);
    free(tt);
}

static void check_alter_cmd(lint_ctx *c, const char *rel, const PgQuery__AlterTableCmd *cmd, bool new_table)
{
    const PgQuery__Node *def = cmd->def;
    const char *col = cmd->name ? lint_q(c, cmd->name) : "?";
    char *key;
    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            check_add_column(c, rel, def->column_def, new_table);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
        key = lint_colkey(rel, cmd->name);
        if (!new_table && !(c->pgv >= 12 && key && strvec_has(&c->mem->proven_notnull, key)))
            lint_add(c, "set-not-null", -1, "ALTER COLUMN %s SET NOT NULL on %s", col, rel);
        free(key);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
        if (!new_table)
            lint_add(c, "drop-not-null", -1, "ALTER COLUMN %s DROP NOT NULL on %s", col, rel);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
        if (!new_table && c->m->d.phase != STRATA_PHASE_CONTRACT)
            lint_add(c, "drop-column", -1, "DROP COLUMN %s on %s outside the contract phase", col, rel);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && cmd->name)
            check_type_change(c, rel, cmd->name, def->column_def, new_table);
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

void check_alter_table(lint_ctx *c, const PgQuery__AlterTableStmt *st)
{
    bool new_table = lint_is_new(c, st->relation), exclusive = false;
    char *rel = lint_relname(st->relation);
    c->mem->oom |= !rel;
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
        lint_strong_lock(c, new_table, exclusive, "ALTER TABLE");
    free(rel);
}

