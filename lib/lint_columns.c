/* Column rules: adding columns (volatile defaults, rewriting types,
 * NOT NULL without default) and what type changes are binary-coercible,
 * from the column types remembered from earlier migrations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint.h"

/* Type as written, e.g. "varchar(20)", "text", "serial". */
char *type_text(const PgQuery__TypeName *t)
{
    sbuf b;
    sbuf_init(&b);
    if (t && t->n_names)
        sbuf_puts(&b, lint_str(t->names[t->n_names - 1]) ? lint_str(t->names[t->n_names - 1]) : "?");
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
bool coercible(const char *old, const char *new_)
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

const char *remembered_type(const lint_ctx *c, const char *rel, const char *col)
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

void remember_type(lint_ctx *c, const char *rel, const char *col, const PgQuery__TypeName *t)
{
    char *tt = type_text(t);
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%s.%s=%s", rel, col, tt ? tt : "?");
    if (!b.oom)
        strvec_add(&c->mem->coltypes, b.data);
    c->mem->oom |= b.oom || !tt;
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
        const char *fn = f->n_funcname ? lint_str(f->funcname[f->n_funcname - 1]) : NULL;
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

