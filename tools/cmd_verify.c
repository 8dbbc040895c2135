/* strata verify: applied migrations against their files. */
#include "cli.h"

#include <string.h>

#include "hints.h"

static const char *source_of(cli *c, int64_t version)
{
    strata_migration_def d;
    for (size_t i = 0; i < strata_migration_count(c->s); i++)
        if (strata_migration_get(c->s, i, &d) == STRATA_OK && d.version == version)
            return strata_migration_source(c->s, i);
    return NULL;
}

/* One problem row: a line on stderr (and the hint that resolves it). */
static void say(cli *c, const strata_status_row *r, const char *file)
{
    if (c->quiet)
        return;
    if (r->state == STRATA_STATE_MODIFIED) {
        fprintf(stderr, "%s: applied migration %lld was edited after it was applied (restore it, or "
                        "record the edit with `strata accept %lld`)\n",
                file, (long long)r->version, (long long)r->version);
    } else if (r->state == STRATA_STATE_DIRTY) {
        fprintf(stderr, "dirty: %lld %s failed at statement %d\n", (long long)r->version, r->name,
                (int)r->failed_statement);
        hint_dirty(c, r->version);
    } else {
        fprintf(stderr, "unknown: %lld %s is applied in the database but not in %s (forget it with "
                        "`strata force %lld --pending`)\n",
                (long long)r->version, r->name, c->dir, (long long)r->version);
    }
}

static void json_problem(jw *w, const strata_status_row *r, const char *file)
{
    jw_obj(w);
    jw_key(w, "version");
    jw_int(w, r->version);
    jw_key(w, "name");
    jw_str(w, r->name);
    jw_key(w, "state");
    jw_str(w, r->state_name);
    jw_key(w, "file");
    jw_str(w, file);
    if (r->state == STRATA_STATE_DIRTY) {
        jw_key(w, "failed_statement");
        jw_int(w, r->failed_statement);
    }
    jw_obj_end(w);
}

int cmd_verify(cli *c, int argc, char **argv)
{
    strata_status_list *st = NULL;
    size_t bad = 0;
    jw w;
    int rc;
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_help(stdout, "verify");
        return EXIT_OK;
    }
    if (argc > 1)
        return cli_usage_error(c, "verify: unexpected argument '%s'", argv[1]);
    if ((rc = cli_prepare(c, false, true)) || (rc = cli_check_dir_matches(c)))
        return rc;
    if ((rc = strata_status(c->s, &st)))
        return cli_fail(c, rc, "verify");
    if (c->json) {
        jw_init(&w, stdout);
        jw_obj(&w);
        jw_key(&w, "problems");
        jw_arr(&w);
    }
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        if (r->state != STRATA_STATE_MODIFIED && r->state != STRATA_STATE_DIRTY && r->state != STRATA_STATE_UNKNOWN)
            continue;
        const char *file = source_of(c, r->version);
        bad++;
        say(c, r, file);
        if (c->json)
            json_problem(&w, r, file);
    }
    strata_status_free(st);
    if (c->json) {
        jw_arr_end(&w);
        jw_key(&w, "ok");
        jw_bool(&w, bad == 0);
        jw_obj_end(&w);
    } else if (!bad && !c->quiet) {
        fprintf(stderr, "verified: every applied migration matches its file\n");
    }
    return bad ? EXIT_FAIL : EXIT_OK;
}
