/* Hints that work as written: after a failed revert or verify, the exact
 * command that resolves each row the library named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hints.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

void hint_dirty(cli *c, int64_t version)
{
    if (!c->quiet)
        fprintf(stderr, "hint: finish or undo its statements by hand, then `strata force %lld --applied` "
                        "(done) or `strata force %lld --pending` (undone); or fix the cause and "
                        "`strata up --resume`\n",
                (long long)version, (long long)version);
}

void hint_after_revert(cli *c)
{
    strata_status_list *st = NULL;
    char needle[64], *msg = strdup(strata_errmsg(c->s)); /* the next call replaces it */
    if (!msg || c->quiet || strata_status(c->s, &st) != STRATA_OK) {
        free(msg);
        return;
    }
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        snprintf(needle, sizeof needle, "version %lld ", (long long)r->version);
        if (r->state == STRATA_STATE_UNKNOWN && strstr(msg, needle))
            fprintf(stderr, "hint: %lld is not in %s; if it should be forgotten: `strata force %lld --pending`\n",
                    (long long)r->version, c->dir, (long long)r->version);
        else if (r->state == STRATA_STATE_DIRTY && strstr(msg, needle))
            hint_dirty(c, r->version);
    }
    strata_status_free(st);
    for (size_t i = 0; i < strata_migration_count(c->s); i++) {
        strata_migration_def d;
        const char *src = strata_migration_source(c->s, i);
        if (strata_migration_get(c->s, i, &d) || d.down_sql || !src || !strstr(msg, src))
            continue;
        if (ends_with(src, ".sql") && !ends_with(src, ".up.sql") && !ends_with(src, "/up.sql"))
            fprintf(stderr, "hint: a simple .sql file has no down: rename %s to %.*s.up.sql and write "
                            "%.*s.down.sql beside it\n",
                    src, (int)(strlen(src) - 4), src, (int)(strlen(src) - 4), src);
    }
    free(msg);
}

void hint_connect(cli *c)
{
    const char *msg = strata_errmsg(c->s), *db = strstr(msg, "database \"");
    const char *end = db ? strchr(db + 10, '"') : NULL;
    if (c->quiet || !end || strncmp(end, "\" does not exist", 16) != 0)
        return;
    /* dbmate's `up` creates a missing database; strata only migrates one */
    fprintf(stderr, "hint: strata does not create the database: create it first (createdb %.*s, or "
                    "CREATE DATABASE), then run the command again\n",
            (int)(end - db - 10), db + 10);
}
