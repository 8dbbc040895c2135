/* Drift: the migrations recorded as applied in the target, applied to a
 * scratch database; the diff of the two schemas is what was changed by hand. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* The applied rows of @s's history, all known to @s and none dirty. */
static int applied_defs(strata *s, strata_migration_def **out, size_t *n)
{
    history h = {0};
    int rc = history_read(s, &h);
    strata_migration_def *defs;
    if (rc != STRATA_OK)
        return rc;
    defs = calloc(h.n ? h.n : 1, sizeof *defs);
    if (!defs) {
        history_clear(&h);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    *n = 0;
    for (size_t i = 0; i < h.n && rc == STRATA_OK; i++) {
        const migration *m = migset_find(&s->set, h.rows[i].version);
        if (h.rows[i].dirty)
            rc = set_error(s, STRATA_EDIRTY, "version %lld is dirty in the target: resolve it "
                           "(strata force) before looking for drift", (long long)h.rows[i].version);
        else if (!m)
            rc = set_error(s, STRATA_EUNKNOWN, "version %lld is applied in the target but is not "
                           "among the migrations: it cannot be reproduced", (long long)h.rows[i].version);
        else
            defs[(*n)++] = (strata_migration_def){m->version, m->name, m->up_sql, m->down_sql};
    }
    history_clear(&h);
    if (rc != STRATA_OK) {
        free(defs);
        return rc;
    }
    *out = defs;
    return STRATA_OK;
}

/* Opens the scratch handle with @s's history table, and fills it. */
static int build_scratch(strata *s, const char *conninfo, const strata_migration_def *defs, size_t n,
                         strata **out)
{
    strata *sc = NULL;
    int rc = strata_open(&sc, conninfo);
    if (rc != STRATA_OK) {
        rc = set_error(s, rc, "scratch database: %s", sc ? strata_errmsg(sc) : "out of memory");
        strata_close(sc);
        return rc;
    }
    free(sc->hist_table);
    sc->hist_table = xstrdup(s->hist_table);
    sc->hist_schema = s->hist_schema ? xstrdup(s->hist_schema) : NULL;
    sc->out_of_order = true; /* the target may have skipped versions */
    if (!sc->hist_table || (s->hist_schema && !sc->hist_schema))
        rc = STRATA_ENOMEM;
    else if ((rc = sch_check_empty(sc)) == STRATA_OK && (rc = strata_add_migrations(sc, defs, n)) == STRATA_OK)
        rc = strata_apply(sc, STRATA_LATEST);
    if (rc != STRATA_OK) {
        rc = set_error(s, rc, "applying the target's migrations to the scratch database \"%s\": %s",
                       PQdb(sc->conn), rc == STRATA_ENOMEM ? "out of memory" : strata_errmsg(sc));
        strata_close(sc);
        return rc;
    }
    *out = sc;
    return STRATA_OK;
}

STRATA_EXPORT int strata_verify_drift(strata *s, const char *scratch_conninfo, int32_t flags,
                                      strata_diff **out)
{
    strata_migration_def *defs = NULL;
    strata_schema *want = NULL, *have = NULL;
    strata *sc = NULL;
    size_t n = 0;
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if (!out || !scratch_conninfo || (flags & ~(int32_t)STRATA_SCHEMA_PRIVILEGES))
        return set_error(s, STRATA_EINVAL, "strata_verify_drift: NULL argument or unknown flags");
    if ((rc = pg_need_db(s)) != STRATA_OK || (rc = check_conn_idle(s)) != STRATA_OK ||
        (rc = applied_defs(s, &defs, &n)) != STRATA_OK)
        return rc;
    rc = build_scratch(s, scratch_conninfo, defs, n, &sc);
    free(defs);
    if (rc != STRATA_OK)
        return rc;
    rc = sch_snapshot(sc, flags, &want);
    if (rc != STRATA_OK)
        rc = set_error(s, rc, "scratch database: %s", strata_errmsg(sc));
    else if ((rc = sch_snapshot(s, flags, &have)) == STRATA_OK &&
             (rc = strata_schema_diff(want, have, out)) != STRATA_OK)
        rc = set_error(s, rc, "out of memory");
    strata_schema_free(want);
    strata_schema_free(have);
    strata_close(sc);
    return rc;
}
