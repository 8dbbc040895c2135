/* The dry run's output. The library sends, per migration, a header event
 * (statement 0: "-- ==== [revert ]V NAME (FILE): MODE") and then one
 * event per round trip or comment, each already the text to print. */
#include "dry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct cli_dry {
    bool json;
    jw flat, migs;        /* "statements": every text; "migrations": per migration */
    FILE *flat_f, *migs_f;
    char *flat_buf, *migs_buf;
    size_t flat_len, migs_len;
    bool open;            /* a migration object is open in migs */
};

cli_dry *dry_begin(bool json)
{
    cli_dry *d = calloc(1, sizeof *d);
    if (!d || !json)
        return d;
    d->json = true;
    d->flat_f = open_memstream(&d->flat_buf, &d->flat_len);
    d->migs_f = open_memstream(&d->migs_buf, &d->migs_len);
    if (!d->flat_f || !d->migs_f) {
        dry_end(d, false);
        return NULL;
    }
    jw_init(&d->flat, d->flat_f);
    jw_init(&d->migs, d->migs_f);
    jw_arr(&d->flat);
    jw_arr(&d->migs);
    return d;
}

/* The header's file and mode: after the fixed prefix the library writes. */
static void header_json(cli_dry *d, const strata_event *ev)
{
    const char *msg = ev->message ? ev->message : "";
    char prefix[512];
    bool revert = strncmp(msg, "-- ==== revert ", 15) == 0;
    int n = snprintf(prefix, sizeof prefix, "-- ==== %s%lld %s (", revert ? "revert " : "",
                     (long long)ev->version, ev->name ? ev->name : "");
    const char *file = (size_t)n < sizeof prefix && strncmp(msg, prefix, (size_t)n) == 0 ? msg + n : "";
    const char *end = strrchr(file, ')');
    if (d->open) {
        jw_arr_end(&d->migs);
        jw_obj_end(&d->migs);
    }
    d->open = true;
    jw_obj(&d->migs);
    jw_key(&d->migs, "version");
    jw_int(&d->migs, ev->version);
    jw_key(&d->migs, "name");
    jw_str(&d->migs, ev->name);
    jw_key(&d->migs, "direction");
    jw_str(&d->migs, revert ? "down" : "up");
    char *f = strndup(file, end ? (size_t)(end - file) : strlen(file));
    jw_key(&d->migs, "file");
    jw_str(&d->migs, f ? f : "");
    free(f);
    jw_key(&d->migs, "mode");
    jw_str(&d->migs, end && strncmp(end, "): ", 3) == 0 ? end + 3 : "");
    jw_key(&d->migs, "statements");
    jw_arr(&d->migs);
}

void dry_event(cli_dry *d, const strata_event *ev)
{
    const char *msg = ev->message ? ev->message : "";
    if (!d) {
        return;
    } else if (!d->json) {
        printf("%s%s\n", ev->statement == 0 ? "\n" : "", msg);
        return;
    }
    jw_str(&d->flat, msg);
    if (ev->statement == 0)
        header_json(d, ev);
    else if (d->open)
        jw_str(&d->migs, msg);
}

static void trim_newline(char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n && s[n - 1] == '\n')
        s[n - 1] = '\0';
}

void dry_end(cli_dry *d, bool ok)
{
    if (!d)
        return;
    if (d->json) {
        if (d->open) {
            jw_arr_end(&d->migs);
            jw_obj_end(&d->migs);
        }
        if (d->flat_f) {
            jw_arr_end(&d->flat);
            fclose(d->flat_f);
        }
        if (d->migs_f) {
            jw_arr_end(&d->migs);
            fclose(d->migs_f);
        }
        trim_newline(d->flat_buf);
        trim_newline(d->migs_buf);
        if (ok && d->flat_buf && d->migs_buf)
            printf("{\"dry_run\": true, \"statements\": %s, \"migrations\": %s}\n", d->flat_buf, d->migs_buf);
        free(d->flat_buf);
        free(d->migs_buf);
    }
    free(d);
}
