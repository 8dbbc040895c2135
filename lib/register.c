/* Registering migrations on a handle, from memory or from files. Each call
 * is all-or-nothing: a rejected entry leaves the set as it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int finish_add(strata *s, migset *add, int rc, sbuf *err)
{
    if (rc == STRATA_OK)
        rc = migset_merge(&s->set, add, err);
    if (rc != STRATA_OK) {
        migset_clear(add);
        if (rc == STRATA_ENOMEM && !err->len)
            sbuf_puts(err, "out of memory");
        set_error_buf(s, rc, err);
    }
    sbuf_free(err);
    return rc;
}

STRATA_EXPORT int strata_add_migrations(strata *s, const strata_migration_def *defs, size_t n)
{
    migset add = {0};
    sbuf err;
    int rc = STRATA_OK;
    if (!s || (!defs && n))
        return STRATA_EINVAL;
    clear_error(s);
    sbuf_init(&err);
    add.items = calloc(n ? n : 1, sizeof *add.items);
    if (!add.items)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    add.cap = n;
    for (size_t i = 0; i < n && rc == STRATA_OK; i++) {
        const strata_migration_def *d = &defs[i];
        migration *m = &add.items[add.n++];
        char label[96];
        directives_clear(&m->d);
        if (!d->up_sql) {
            sbuf_printf(&err, "migration #%zu (version %lld): up_sql is NULL", i,
                        (long long)d->version);
            rc = STRATA_EINVAL;
            break;
        }
        m->version = d->version;
        m->name = xstrdup(d->name ? d->name : "");
        snprintf(label, sizeof label, "%lld_%s", (long long)d->version, d->name ? d->name : "");
        for (char *p = label; *p; p++)
            if (*p == ' ')
                *p = '_';
        if ((rc = version_check(d->version, label, &err)) != STRATA_OK)
            break;
        m->source = xstrdup(label);
        m->up_sql = xstrdup(d->up_sql);
        m->up_line = 1;
        if (d->down_sql) {
            m->down_sql = xstrdup(d->down_sql);
            m->down_source = xstrdup(label);
            m->down_line = 1;
        }
        rc = migration_finish(m, &err);
    }
    return finish_add(s, &add, rc, &err);
}

static void report_skipped(void *arg, const char *path)
{
    emit(arg, STRATA_EVENT_SKIPPED_FILE, NULL, path);
}

STRATA_EXPORT int strata_add_dir(strata *s, const char *path)
{
    migset add = {0};
    sbuf err;
    int rc;
    if (!s || !path)
        return STRATA_EINVAL;
    clear_error(s);
    sbuf_init(&err);
    rc = source_read_dir(&add, path, report_skipped, s, &err);
    return finish_add(s, &add, rc, &err);
}

STRATA_EXPORT int strata_add_file(strata *s, const char *path)
{
    migset add = {0};
    sbuf err;
    int rc;
    if (!s || !path)
        return STRATA_EINVAL;
    clear_error(s);
    sbuf_init(&err);
    rc = source_read_file(&add, path, &err);
    return finish_add(s, &add, rc, &err);
}

STRATA_EXPORT size_t strata_migration_count(const strata *s)
{
    return s ? s->set.n : 0;
}

STRATA_EXPORT int strata_migration_get(const strata *s, size_t index, strata_migration_def *out)
{
    if (!s || !out)
        return STRATA_EINVAL;
    if (index >= s->set.n)
        return STRATA_ENOTFOUND;
    const migration *m = &s->set.items[index];
    out->version = m->version;
    out->name = m->name;
    out->up_sql = m->up_sql;
    out->down_sql = m->down_sql;
    return STRATA_OK;
}

STRATA_EXPORT const char *strata_migration_source(const strata *s, size_t index)
{
    return s && index < s->set.n ? s->set.items[index].source : NULL;
}
