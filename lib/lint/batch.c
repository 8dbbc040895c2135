/* A batch migration re-runs its statement until it changes 0 rows. An
 * UPDATE converges only when the rows it changed stop matching its WHERE,
 * that is when the WHERE tests a column its SET changes (say `email_lower
 * IS NULL` for `SET email_lower = ...`); otherwise it runs forever. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "quote.h"
#include "walk.h"

static bool sets(const PgQuery__UpdateStmt *u, const char *col)
{
    for (size_t i = 0; i < u->n_target_list; i++) {
        const PgQuery__Node *t = u->target_list[i];
        if (t->node_case == PG_QUERY__NODE__NODE_RES_TARGET && t->res_target->name &&
            strcmp(t->res_target->name, col) == 0)
            return true;
    }
    return false;
}

/* A column reference (any table qualification) to a column the SET changes. */
static bool tests_set_column(const ProtobufCMessage *m, void *arg)
{
    const PgQuery__UpdateStmt *u = arg;
    if (m->descriptor != &pg_query__column_ref__descriptor)
        return false;
    const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
    const char *col = cr->n_fields ? lint_str(cr->fields[cr->n_fields - 1]) : NULL;
    return col && sets(u, col);
}

static void set_list(lint_ctx *c, const PgQuery__UpdateStmt *u, sbuf *b)
{
    for (size_t i = 0; i < u->n_target_list; i++) {
        const PgQuery__Node *t = u->target_list[i];
        if (t->node_case == PG_QUERY__NODE__NODE_RES_TARGET && t->res_target->name)
            sbuf_printf(b, "%s%s", i ? ", " : "", lint_q(c, t->res_target->name));
    }
}

void check_batch_update(lint_ctx *c, const PgQuery__UpdateStmt *u)
{
    sbuf cols;
    if (!c->m->d.batch || lint_walk((const ProtobufCMessage *)u->where_clause, tests_set_column, (void *)u))
        return;
    sbuf_init(&cols);
    set_list(c, u, &cols);
    char *rel = lint_relname(u->relation);
    if (!u->where_clause)
        lint_add(c, "batch-update-never-converges", -1, "batch UPDATE of %s has no WHERE: every run changes "
                 "every row again", rel ? rel : "?");
    else
        lint_add(c, "batch-update-never-converges", -1, "the WHERE of this batch UPDATE of %s never tests %s, "
                 "which its SET changes", rel ? rel : "?", cols.data ? cols.data : "?");
    free(rel);
    sbuf_free(&cols);
}
