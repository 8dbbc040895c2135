/* Column rules: adding columns (volatile defaults, rewriting types,
 * NOT NULL without default), and the column types remembered from earlier
 * migrations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "columns.h"
#include "quote.h"
#include "walk.h"

/* Type as written, e.g. "varchar(20)", "text", "serial", "int4[]", with
 * the name quoted as needed ("MyType"); the form live.c reads back. */
char *type_text(const PgQuery__TypeName *t)
{
    sbuf b;
    sbuf_init(&b);
    if (t && t->n_names) {
        char *name = lint_typename(lint_str(t->names[t->n_names - 1]) ? lint_str(t->names[t->n_names - 1]) : "?");
        if (!name)
            b.oom = true; /* "?" would be remembered as the column's type */
        else
            sbuf_puts(&b, name);
        free(name);
    }
    for (size_t i = 0; t && i < t->n_typmods; i++) {
        const PgQuery__Node *m = t->typmods[i];
        int v = m->node_case == PG_QUERY__NODE__NODE_A_CONST && m->a_const->val_case ==
                    PG_QUERY__A__CONST__VAL_IVAL ? m->a_const->ival->ival : -1;
        sbuf_printf(&b, "%s%d", i ? "," : "(", v);
    }
    if (t && t->n_typmods)
        sbuf_puts(&b, ")");
    if (t && t->n_array_bounds)
        sbuf_puts(&b, "[]");
    return sbuf_take(&b);
}

char *lint_colkey(const char *rel, const char *col)
{
    char *q = lint_ident(col ? col : "?");
    sbuf b;
    if (!q || !rel) { /* a wrong key would silently miss what was remembered */
        free(q);
        return NULL;
    }
    sbuf_init(&b);
    sbuf_printf(&b, "%s.%s", rel, q);
    free(q);
    return sbuf_take(&b);
}

const char *lint_kv_last(const strvec *v, const char *key)
{
    size_t n = strlen(key);
    const char *found = NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strncmp(v->items[i], key, n) == 0 && v->items[i][n] == '=')
            found = v->items[i] + n + 1; /* the latest definition wins */
    return found;
}

const char *remembered_type(const lint_ctx *c, const char *rel, const char *col)
{
    char *key = lint_colkey(rel, col);
    const char *t = key ? lint_kv_last(&c->mem->coltypes, key) : NULL;
    c->mem->oom |= !key;
    free(key);
    return t;
}

void remember_type(lint_ctx *c, const char *rel, const char *col, const PgQuery__TypeName *t)
{
    char *tt = type_text(t), *key = lint_colkey(rel, col);
    c->mem->oom |= !key;
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%s=%s", key ? key : "?", tt ? tt : "?");
    if (!b.oom)
        strvec_add(&c->mem->coltypes, b.data);
    c->mem->oom |= b.oom || !tt;
    sbuf_free(&b);
    free(tt);
    free(key);
}

/* Functions whose every call gives a new value: as a default they force
 * PostgreSQL to compute and write it into every existing row. */
static bool volatile_func(const ProtobufCMessage *m, void *arg)
{
    static const char *const names[] = {"random", "gen_random_uuid", "uuid_generate_v1",
                                        "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp",
                                        "timeofday", "nextval", "txid_current", "setseed"};
    (void)arg;
    if (m->descriptor != &pg_query__func_call__descriptor)
        return false;
    const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
    const char *fn = f->n_funcname ? lint_str(f->funcname[f->n_funcname - 1]) : NULL;
    for (size_t i = 0; fn && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(fn, names[i]) == 0)
            return true;
    return false;
}

void check_add_column(lint_ctx *c, const char *rel, const PgQuery__ColumnDef *cd, bool new_table)
{
    const PgQuery__Constraint *dflt = NULL;
    bool not_null = cd->is_not_null, rewrite = false;
    char *tt = type_text(cd->type_name);
    c->mem->oom |= !tt;
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
            lint_add(c, "add-column-rewrite-type", cd->location, "ADD COLUMN %s %s", lint_q(c, cd->colname), tt ? tt : "");
        else if (dflt && lint_walk((const ProtobufCMessage *)dflt->raw_expr, volatile_func, NULL))
            lint_add(c, "add-column-volatile-default", dflt->location,
                     "ADD COLUMN %s with a volatile DEFAULT", lint_q(c, cd->colname));
        else if (dflt && c->pgv < 11)
            lint_add(c, "add-column-volatile-default", dflt->location,
                     "ADD COLUMN %s with a DEFAULT on PostgreSQL %d", lint_q(c, cd->colname), (int)c->pgv);
        if (not_null && !dflt && !rewrite)
            lint_add(c, "add-column-required", cd->location, "ADD COLUMN %s NOT NULL without a default",
                     lint_q(c, cd->colname));
    }
    free(tt);
}

