/* Resolving the history by hand: force, accept, baseline. Each runs under
 * the migrator lock so it cannot race a running migration. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pooler.h"

typedef int (*admin_fn)(strata *s, const history *h, int64_t version, int32_t flag, sbuf *sql);

static int admin_run(strata *s, int64_t version, int32_t flag, admin_fn fn)
{
    history h = {0};
    int64_t key = 0;
    sbuf sql;
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if ((rc = pg_need_db(s)))
        return rc;
    if ((rc = lock_acquire_admin(s, &key)))
        return rc;
    rc = history_read(s, &h);
    if (rc == STRATA_OK && !h.exists)
        rc = history_create(s);
    sbuf_init(&sql);
    sbuf_puts(&sql, "BEGIN;\n");
    pooler_lock_sql(s, &sql); /* through a pooler the session lock is not held */
    if (rc == STRATA_OK)
        rc = fn(s, &h, version, flag, &sql);
    sbuf_puts(&sql, "COMMIT");
    if (rc == STRATA_OK)
        rc = sql.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, sql.data, NULL);
    sbuf_free(&sql);
    history_clear(&h);
    lock_release(s, key);
    return rc;
}

static int add_applied(strata *s, const migration *m, sbuf *sql)
{
    char *ins = history_insert_sql(s, m, "applied", -1, HIST_DURATION_NONE);
    if (!ins)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_printf(sql, "%s;\n", ins);
    free(ins);
    return STRATA_OK;
}

static int delete_row(strata *s, int64_t version, sbuf *sql)
{
    char *del = history_delete_sql(s, version);
    if (!del)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_printf(sql, "%s;\n", del);
    free(del);
    return STRATA_OK;
}

static int do_force(strata *s, const history *h, int64_t v, int32_t applied, sbuf *sql)
{
    const migration *m = migset_find(&s->set, v);
    int rc;
    if (!applied) {
        if (!history_find(h, v))
            return set_error(s, STRATA_ENOTFOUND, "version %lld has no history row; it is "
                             "already pending", (long long)v);
        return delete_row(s, v, sql);
    }
    if (!m)
        return set_error(s, STRATA_ENOTFOUND, "version %lld is not among this program's "
                         "migrations; cannot mark it applied", (long long)v);
    if ((rc = delete_row(s, v, sql)))
        return rc;
    return add_applied(s, m, sql);
}

static int do_accept(strata *s, const history *h, int64_t v, int32_t flag, sbuf *sql)
{
    const migration *m = migset_find(&s->set, v);
    const hist_row *r = history_find(h, v);
    char *u;
    (void)flag;
    if (!m || !r || r->dirty)
        return set_error(s, STRATA_ENOTFOUND, "version %lld is not an applied migration known "
                         "to this program; accept records the checksum of an applied one",
                         (long long)v);
    u = history_checksum_sql(s, m);
    if (!u)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    sbuf_printf(sql, "%s;\n", u);
    free(u);
    return STRATA_OK;
}

static int do_baseline(strata *s, const history *h, int64_t v, int32_t flag, sbuf *sql)
{
    (void)flag;
    if (!migset_find(&s->set, v))
        return set_error(s, STRATA_ENOTFOUND, "version %lld is not among this program's "
                         "migrations; baseline takes the version to mark applied up to",
                         (long long)v);
    for (size_t i = 0; i < s->set.n && s->set.items[i].version <= v; i++) {
        if (history_find(h, s->set.items[i].version))
            continue;
        int rc = add_applied(s, &s->set.items[i], sql);
        if (rc)
            return rc;
    }
    return STRATA_OK;
}

STRATA_EXPORT int strata_force(strata *s, int64_t version, int32_t applied)
{
    return admin_run(s, version, applied, do_force);
}

STRATA_EXPORT int strata_accept(strata *s, int64_t version)
{
    return admin_run(s, version, 0, do_accept);
}

STRATA_EXPORT int strata_baseline(strata *s, int64_t version)
{
    return admin_run(s, version, 0, do_baseline);
}
