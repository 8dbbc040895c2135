/* Rules on whole objects and statements: indexes, drops, renames, enums,
 * maintenance, transaction control, DML and lock_timeout settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch.h"
#include "objects.h"
#include "quote.h"

static bool has_option(PgQuery__Node *const *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && opts[i]->def_elem->defname &&
            strcmp(opts[i]->def_elem->defname, name) == 0)
            return true;
    return false;
}

void check_index(lint_ctx *c, const PgQuery__IndexStmt *ix)
{
    bool new_table = lint_is_new(c, ix->relation);
    lint_set_table(c, ix->relation);
    if (ix->concurrent) {
        if (!c->m->d.no_transaction)
            lint_add(c, "concurrently-in-transaction", -1, "CREATE INDEX CONCURRENTLY");
        return;
    }
    if (!new_table)
        lint_add(c, "index-not-concurrent", -1, "CREATE INDEX on %s", c->table ? c->table : "?");
    lint_strong_lock(c, new_table, false, "CREATE INDEX");
}

/* The objects of a DROP, quoted, comma-separated (owned by @c). */
static const char *drop_names(lint_ctx *c, const PgQuery__DropStmt *d)
{
    sbuf b;
    sbuf_init(&b);
    for (size_t i = 0; i < d->n_objects; i++) {
        const PgQuery__Node *o = d->objects[i];
        char *name = o->node_case == PG_QUERY__NODE__NODE_LIST ? lint_namelist(o->list)
                     : lint_str(o) ? lint_ident(lint_str(o)) : NULL;
        sbuf_printf(&b, "%s%s", i ? ", " : "", name ? name : "?");
        free(name);
    }
    size_t n = c->scratch.n;
    strvec_add(&c->scratch, b.data && !b.oom ? b.data : "?");
    sbuf_free(&b);
    return c->scratch.n > n ? c->scratch.items[n] : "?";
}

/* Every table dropped was created earlier in this migration. */
static bool drops_only_new(const lint_ctx *c, const PgQuery__DropStmt *d)
{
    bool all_new = d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && d->n_objects > 0;
    for (size_t i = 0; i < d->n_objects && all_new; i++) {
        const PgQuery__Node *o = d->objects[i];
        if (o->node_case != PG_QUERY__NODE__NODE_LIST || !o->list->n_items)
            return false;
        char *full = lint_namelist(o->list);
        const char *last = lint_str(o->list->items[o->list->n_items - 1]);
        char *bare = last ? lint_ident(last) : NULL;
        all_new = (full && strvec_has(&c->created, full)) || (bare && strvec_has(&c->created, bare));
        free(full);
        free(bare);
    }
    return all_new;
}

void check_drop(lint_ctx *c, const PgQuery__DropStmt *d)
{
    switch (d->remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        if (d->concurrent && !c->m->d.no_transaction)
            lint_add(c, "concurrently-in-transaction", -1, "DROP INDEX CONCURRENTLY %s", drop_names(c, d));
        if (!d->concurrent) {
            lint_add(c, "drop-index-not-concurrent", -1, "DROP INDEX %s", drop_names(c, d));
            lint_strong_lock(c, false, true, "DROP INDEX");
        }
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
        if (!drops_only_new(c, d)) {
            lint_add(c, "drop-table", -1, "DROP %s %s",
                     d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA ? "SCHEMA" : "TABLE", drop_names(c, d));
            lint_strong_lock(c, false, true, "DROP");
        }
        break;
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
        lint_add(c, "unbatched-dml", -1, "%s of %s in one statement", what, c->table ? c->table : "?");
}

/* The tables of a TRUNCATE or VACUUM (RangeVar or VacuumRelation nodes),
 * quoted and comma-separated (owned by @c); the statement's table, for
 * grading and lock keys, when there is exactly one. */
static const char *relations(lint_ctx *c, PgQuery__Node *const *rels, size_t n)
{
    sbuf b;
    sbuf_init(&b);
    for (size_t i = 0; i < n; i++) {
        const PgQuery__RangeVar *rv = rels[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR ? rels[i]->range_var
                                      : rels[i]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION
                                          ? rels[i]->vacuum_relation->relation
                                          : NULL;
        char *name = lint_relname(rv);
        sbuf_printf(&b, "%s%s", i ? ", " : "", name ? name : "?");
        free(name);
        if (n == 1)
            lint_set_table(c, rv);
    }
    size_t k = c->scratch.n;
    strvec_add(&c->scratch, b.data && !b.oom ? b.data : "");
    sbuf_free(&b);
    return c->scratch.n > k ? c->scratch.items[k] : "?";
}

void check_other(lint_ctx *c, const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        if (has_option(n->reindex_stmt->params, n->reindex_stmt->n_params, "concurrently")) {
            if (!c->m->d.no_transaction)
                lint_add(c, "concurrently-in-transaction", -1, "REINDEX CONCURRENTLY");
        } else {
            const PgQuery__ReindexStmt *r = n->reindex_stmt;
            lint_set_table(c, r->relation);
            lint_add(c, "reindex-not-concurrent", -1, "REINDEX %s%s",
                     r->relation && c->table ? c->table : r->name ? lint_q(c, r->name) : "",
                     c->pgv < 12 ? " (CONCURRENTLY needs PostgreSQL 12)" : "");
        }
        break;
    case PG_QUERY__NODE__NODE_RENAME_STMT: {
        const PgQuery__RenameStmt *r = n->rename_stmt;
        bool new_table = lint_is_new(c, r->relation);
        lint_set_table(c, r->relation);
        if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN && !new_table)
            lint_add(c, "rename-column", -1, "RENAME COLUMN %s to %s on %s", lint_q(c, r->subname),
                     lint_q(c, r->newname), c->table ? c->table : "?");
        else if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && !new_table)
            lint_add(c, "rename-table", -1, "RENAME TABLE %s to %s", c->table ? c->table : "?",
                     lint_q(c, r->newname));
        if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
            lint_strong_lock(c, new_table, true, "RENAME");
        break;
    }
    case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT: {
        const PgQuery__AlterEnumStmt *e = n->alter_enum_stmt;
        if (e->old_val && *e->old_val)
            lint_add(c, "enum-value-unordered", -1, "RENAME VALUE %s", lint_lit(c, e->old_val));
        else if (e->new_val && (!e->new_val_neighbor || !*e->new_val_neighbor))
            lint_add(c, "enum-value-unordered", -1, "ADD VALUE %s without BEFORE/AFTER", lint_lit(c, e->new_val));
        break;
    }
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        if (n->vacuum_stmt->is_vacuumcmd && has_option(n->vacuum_stmt->options, n->vacuum_stmt->n_options, "full"))
            lint_add(c, "table-rewrite-maintenance", -1, "VACUUM FULL %s",
                     relations(c, n->vacuum_stmt->rels, n->vacuum_stmt->n_rels));
        break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        lint_set_table(c, n->cluster_stmt->relation);
        lint_add(c, "table-rewrite-maintenance", -1, "CLUSTER %s", c->table ? c->table : "");
        break;
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
        lint_set_table(c, n->refresh_mat_view_stmt->relation);
        if (!n->refresh_mat_view_stmt->concurrent)
            lint_add(c, "table-rewrite-maintenance", -1, "REFRESH MATERIALIZED VIEW %s without CONCURRENTLY",
                     c->table ? c->table : "?");
        break;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT: {
        const char *names = relations(c, n->truncate_stmt->relations, n->truncate_stmt->n_relations);
        if (n->truncate_stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
            lint_add(c, "drop-table", -1, "TRUNCATE %s CASCADE", names);
        lint_strong_lock(c, false, true, "TRUNCATE");
        break;
    }
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
        lint_add(c, "transaction-control", -1, "transaction control statement");
        break;
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        check_batch_update(c, n->update_stmt);
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
            c->mem->oom |= !rel;
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

