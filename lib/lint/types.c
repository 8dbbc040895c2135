/* PostgreSQL's no-rewrite rules for ALTER COLUMN TYPE (tablecmds.c's
 * ATColumnChangeRequiresRewrite): a RelabelType (binary-coercible cast) or
 * a length coercion whose planner support function says it changes nothing
 * (varchar_support, varbit_support, numeric_support, TemporalSimplify).
 * Anything else, arrays included, rewrites. Checked against the server in
 * tests/test-lint-live.c. */
#include <stdlib.h>
#include <string.h>

#include "types.h"

typedef struct ptype {
    char name[160];
    int mods[2];
    int n;       /* number of modifiers */
    bool array;
} ptype;

static bool parse(const char *t, ptype *p)
{
    size_t len = strcspn(t, "([");
    char *end;
    memset(p, 0, sizeof *p);
    if (t[0] == '"' || len >= sizeof p->name)
        return false; /* user types: only the same text is the same type */
    memcpy(p->name, t, len);
    t += len;
    if (*t == '(') {
        while (p->n < 2 && (*t == '(' || *t == ',')) {
            p->mods[p->n++] = (int)strtol(t + 1, &end, 10);
            t = end;
        }
        if (*t++ != ')')
            return false;
    }
    p->array = strcmp(t, "[]") == 0;
    if (*t && !p->array)
        return false;
    if (strcmp(p->name, "numeric") == 0 && p->n == 1)
        p->mods[p->n++] = 0; /* numeric(p) is numeric(p,0) */
    return true;
}

static bool is(const ptype *p, const char *name)
{
    return strcmp(p->name, name) == 0;
}

/* The same type with other modifiers: what the support functions allow. */
static bool free_typmod_change(const ptype *o, const ptype *n)
{
    if (o->n == n->n && memcmp(o->mods, n->mods, sizeof o->mods) == 0)
        return true;
    if (o->array)
        return false; /* an array coercion rewrites, whatever its elements */
    if (is(n, "varchar") || is(n, "varbit") || is(n, "timestamp") || is(n, "timestamptz") || is(n, "time") ||
        is(n, "timetz"))
        return n->n == 0 || (o->n == 1 && n->n == 1 && n->mods[0] >= o->mods[0]);
    if (is(n, "numeric"))
        return n->n == 0 || (o->n == 2 && n->n == 2 && n->mods[1] == o->mods[1] && n->mods[0] >= o->mods[0]);
    return false;
}

bool lint_type_change_is_free(const char *old, const char *new_)
{
    ptype o, n;
    if (!old)
        return false;
    if (strcmp(old, new_) == 0)
        return true;
    if (!parse(old, &o) || !parse(new_, &n) || o.array != n.array)
        return false;
    if (strcmp(o.name, n.name) == 0)
        return free_typmod_change(&o, &n);
    if (o.array)
        return false;
    /* binary-coercible casts (pg_cast method 'b') between different types */
    if (is(&n, "text"))
        return is(&o, "varchar");
    if (is(&n, "varchar"))
        return is(&o, "text") && n.n == 0;
    return is(&o, "cidr") && is(&n, "inet");
}
