/* The shared context of the strata commands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dry.h"
#include "hints.h"
#include "observe.h"

void cli_init(cli *c)
{
    memset(c, 0, sizeof *c);
    c->dir = "./migrations";
    c->lock_wait_ms = c->lock_timeout_ms = c->statement_timeout_ms = -1;
    c->retries = -1;
    c->retry_budget_ms = -1;
    c->last_reverted = -1;
}

static void done_free(cli_done_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].name);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void cli_free(cli *c)
{
    cli_forget_interrupt();
    strata_close(c->s);
    c->s = NULL;
    done_free(&c->applied);
    done_free(&c->reverted);
    observe_free(c->observe);
    c->observe = NULL;
    dry_end(c->dry, false);
    c->dry = NULL;
}

void cli_done_add(cli_done_list *l, int64_t version, const char *name, int64_t ms)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        cli_done *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            return; /* a summary line short is better than aborting a migration */
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n].version = version;
    l->items[l->n].name = strdup(name ? name : "");
    l->items[l->n].duration_ms = ms;
    l->n++;
}

void cli_json_done(jw *w, const char *key, const cli_done_list *l)
{
    jw_key(w, key);
    jw_arr(w);
    for (size_t i = 0; i < l->n; i++) {
        jw_obj(w);
        jw_key(w, "version");
        jw_int(w, l->items[i].version);
        jw_key(w, "name");
        jw_str(w, l->items[i].name);
        jw_key(w, "duration_ms");
        jw_int(w, l->items[i].duration_ms);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

bool cli_version_known(const cli *c, int64_t v)
{
    strata_migration_def d;
    for (size_t i = 0; i < strata_migration_count(c->s); i++)
        if (strata_migration_get(c->s, i, &d) == STRATA_OK && d.version == v)
            return true;
    return false;
}

bool cli_chatty(const cli *c)
{
    return !c->json && !c->quiet;
}

void cli_json_error(const char *code, const char *message)
{
    jw w;
    jw_init(&w, stdout);
    jw_obj(&w);
    jw_key(&w, "error");
    jw_obj(&w);
    jw_key(&w, "code");
    jw_str(&w, code);
    jw_key(&w, "message");
    jw_str(&w, message);
    jw_obj_end(&w);
    jw_obj_end(&w);
    fflush(stdout);
}

int cli_usage_error(cli *c, const char *fmt, const char *arg)
{
    char msg[1024];
    snprintf(msg, sizeof msg, fmt, arg);
    fprintf(stderr, "strata: %s\n", msg);
    if (c && c->cmd)
        fprintf(stderr, "try 'strata %s --help'\n", c->cmd);
    else
        fputs("try 'strata --help'\n", stderr);
    if (c && c->json)
        cli_json_error("usage", msg);
    return EXIT_USAGE;
}

bool cli_parse_version(const char *s, int64_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || *s == '-' || *s == '+' || *s == ' ')
        return false;
    *out = v;
    return true;
}

int64_t cli_parse_duration(const char *s)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    long long v = strtoll(s, &end, 10);
    int64_t unit;
    if (errno)
        return -1;
    if (!*end || strcmp(end, "ms") == 0)
        unit = 1;
    else if (strcmp(end, "s") == 0)
        unit = 1000;
    else if (strcmp(end, "min") == 0)
        unit = 60000;
    else if (strcmp(end, "h") == 0)
        unit = 3600000;
    else
        return -1;
    if (v > INT64_MAX / unit)
        return -1;
    return v * unit;
}

/* Stable names of the error codes for JSON (documented in strata(1)). */
const char *cli_code_name(int rc)
{
    static const char *const names[] = {"ok",       "error",     "nomem",    "invalid",   "connect",
                                        "sql",      "io",        "parse",    "duplicate", "locked",
                                        "checksum", "order",     "unknown",  "dirty",     "irreversible",
                                        "nodb",     "lint",      "notfound", "notempty",  "otherhistory"};
    int i = -rc;
    return i >= 0 && i < (int)(sizeof names / sizeof names[0]) ? names[i] : "error";
}

static int fail_code(cli *c, const char *code, const char *what, const char *msg)
{
    out_live_end(&c->style);
    fprintf(stderr, "%sstrata%s%s:%s %s\n", c->style.red, what && *what ? ": " : "", what ? what : "",
            c->style.reset, msg);
    if (c->json)
        cli_json_error(code, msg);
    return EXIT_FAIL;
}

int cli_fail(cli *c, int rc, const char *what)
{
    return fail_code(c, cli_code_name(rc), what, strata_errmsg(c->s));
}

int cli_error(cli *c, const char *code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_code(c, code, "", msg);
}

static int apply_options(cli *c)
{
    int rc = 0;
    if (c->table && (rc = strata_set_history_table(c->s, c->table)))
        return cli_fail(c, rc, "--table");
    /* the values were checked when parsed; the library has the last word */
    if (c->lock_wait_ms >= 0 && (rc = strata_set_lock_wait_ms(c->s, c->lock_wait_ms)))
        return cli_fail(c, rc, "--lock-wait");
    if (c->lock_timeout_ms >= 0 && (rc = strata_set_lock_timeout_ms(c->s, c->lock_timeout_ms)))
        return cli_fail(c, rc, "--lock-timeout");
    if (c->statement_timeout_ms >= 0 &&
        (rc = strata_set_statement_timeout_ms(c->s, c->statement_timeout_ms)))
        return cli_fail(c, rc, "--statement-timeout");
    if (c->retries >= 0 && (rc = strata_set_retries(c->s, c->retries)))
        return cli_fail(c, rc, "--retries");
    if (c->retry_budget_ms >= 0 && (rc = strata_set_retry_budget_ms(c->s, c->retry_budget_ms)))
        return cli_fail(c, rc, "--retry-budget");
    return EXIT_OK;
}

int cli_prepare(cli *c, bool offline, bool need_dir)
{
    const char *url = c->url ? c->url : getenv("DATABASE_URL");
    int rc = strata_open(&c->s, offline ? NULL : (url ? url : ""));
    if (rc == STRATA_ENOMEM || rc == STRATA_EINVAL)
        return cli_error(c, "nomem", "out of memory");
    strata_set_event_callback(c->s, cli_on_event, c);
    if (rc) {
        rc = cli_fail(c, rc, "");
        hint_connect(c);
        return rc;
    }
    if ((rc = apply_options(c)))
        return rc;
    if (need_dir && (rc = strata_add_dir(c->s, c->dir)))
        return cli_fail(c, rc, "reading migrations");
    return EXIT_OK;
}

/* An applied version of the database that the directory also has. */
static bool any_known_applied(const strata_status_list *st)
{
    for (size_t i = 0; i < strata_status_count(st); i++) {
        int32_t state = strata_status_get(st, i)->state;
        if (state == STRATA_STATE_APPLIED || state == STRATA_STATE_MODIFIED || state == STRATA_STATE_DIRTY)
            return true;
    }
    return false;
}

int cli_check_dir_matches(cli *c)
{
    strata_status_list *st = NULL;
    size_t unknown = 0;
    int64_t first = -1;
    int rc;
    if ((rc = strata_status_v2(c->s, STRATA_STATUS_STATES_ONLY, &st)))
        return cli_fail(c, rc, "status");
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        if (r->state == STRATA_STATE_UNKNOWN && unknown++ == 0)
            first = r->version;
    }
    bool wrong = unknown && !any_known_applied(st);
    strata_status_free(st);
    if (!wrong)
        return EXIT_OK;
    if (strata_migration_count(c->s) == 0)
        return cli_error(c, "io",
                         "%s holds no migrations, but the database has %zu applied (version %lld first); "
                         "is -m pointing at the right directory?",
                         c->dir, unknown, (long long)first);
    return cli_error(c, "io",
                     "none of the %zu versions applied in the database (version %lld first) is in %s; "
                     "is -m pointing at the right directory? (if they were removed on purpose: "
                     "`strata force V --pending` for each)",
                     unknown, (long long)first, c->dir);
}
