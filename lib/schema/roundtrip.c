/* The rollback proof: for each migration, snapshot, up, down, snapshot and
 * compare, up again. Migrations go through strata_apply / strata_revert so
 * that they run exactly as `up` and `down` run them. */
#include <stdlib.h>
#include <string.h>

#include "track.h"

typedef struct rt_item {
    strata_roundtrip_item pub;
    strata_diff *diff;
} rt_item;

struct strata_roundtrip_report {
    rt_item *items;
    size_t n, cap;
};

static const char *const result_names[] = {"ok", "down-failed", "residue", "column-order",
                                           "reapply-failed", "no-down", "up-failed"};

static rt_item *add_item(strata_roundtrip_report *r, const migration *m)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        rt_item *p = realloc(r->items, cap * sizeof *p);
        if (!p)
            return NULL;
        r->items = p;
        r->cap = cap;
    }
    rt_item *it = &r->items[r->n];
    memset(it, 0, sizeof *it);
    it->pub.version = m->version;
    it->pub.name = xstrdup(m->name ? m->name : "");
    it->pub.source = xstrdup(m->source ? m->source : "");
    r->n++; /* counted at once so that free releases what it holds */
    return it->pub.name && it->pub.source ? it : NULL;
}

/* False when out of memory copying @error. */
static bool set_result(rt_item *it, int32_t result, const char *error)
{
    it->pub.result = result;
    it->pub.result_name = result_names[result];
    if (error) {
        free((char *)it->pub.error);
        it->pub.error = xstrdup(error);
    }
    return !error || it->pub.error;
}

/* The down's check: the schema's changes since the snapshot before the up
 * (the model's last update). */
static int judge_down(strata *s, sch_track *t, rt_item *it)
{
    char *text = NULL;
    int rc = sch_track_update(s, t, &it->diff);
    if (rc != STRATA_OK)
        return rc;
    if (strata_schema_diff_count(it->diff) == 0) {
        set_result(it, STRATA_RT_OK, NULL);
        return STRATA_OK;
    }
    set_result(it, strata_schema_diff_only_column_order(it->diff) ? STRATA_RT_COLUMN_ORDER : STRATA_RT_RESIDUE,
               NULL);
    if (strata_schema_diff_render(it->diff, STRATA_FORMAT_TEXT, &text) != STRATA_OK)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    it->pub.diff = text;
    return STRATA_OK;
}

/* A down with no statement (only comments) is no down: running it would
 * prove nothing. */
static bool down_missing(const migration *m)
{
    stmt_list l = {0};
    sbuf err;
    bool none;
    if (!m->down_sql || m->down_empty)
        return true;
    sbuf_init(&err);
    none = split_sql(&l, m->down_sql, &err, NULL) == STRATA_OK && l.n == 0;
    stmt_list_free(&l);
    sbuf_free(&err);
    return none;
}

/* One migration; the model is the schema before its up, and after it the
 * schema the next one starts from. *stop is set when the chain cannot go on. */
static int check_one(strata *s, size_t i, strata_roundtrip_report *r, sch_track *t, bool *stop)
{
    const migration *m = &s->set.items[i];
    rt_item *it = add_item(r, m);
    bool ok = true;
    int rc = STRATA_OK;
    if (!it)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    if (strata_apply(s, m->version) != STRATA_OK) {
        ok = set_result(it, STRATA_RT_UP_FAILED, strata_errmsg(s));
        *stop = true;
        return ok ? STRATA_OK : set_error(s, STRATA_ENOMEM, "out of memory");
    }
    if (down_missing(m)) {
        set_result(it, STRATA_RT_NO_DOWN, NULL);
    } else if (strata_revert(s, i ? s->set.items[i - 1].version : STRATA_BEFORE_FIRST) != STRATA_OK) {
        ok = set_result(it, STRATA_RT_DOWN_FAILED, strata_errmsg(s));
    } else if ((rc = judge_down(s, t, it)) == STRATA_OK && strata_apply(s, m->version) != STRATA_OK) {
        ok = set_result(it, STRATA_RT_REAPPLY_FAILED, strata_errmsg(s));
        *stop = true;
    }
    if (!ok)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    return rc == STRATA_OK && !*stop ? sch_track_update(s, t, NULL) : rc;
}

/* The safety net failed: from item @first on, no `ok` is trusted; each
 * becomes a residue saying why (@why), so that nothing passes that a full
 * snapshot might have failed. */
static int distrust_range(strata *s, strata_roundtrip_report *r, size_t first, const char *why)
{
    for (size_t i = first; i < r->n; i++) {
        rt_item *it = &r->items[i];
        if (it->pub.result != STRATA_RT_OK && it->pub.result != STRATA_RT_COLUMN_ORDER)
            continue;
        if (!set_result(it, STRATA_RT_RESIDUE, why))
            return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    return STRATA_OK;
}

/* Every CHECK_EVERY migrations and at the end, a full snapshot proves that
 * the tracked model is the database's schema. When it differs, the tracking
 * missed a change (a role renamed, a catalog edited by hand); when it
 * cannot be taken (the connection is lost), the model cannot be trusted
 * either and the run stops (*stop). */
#define CHECK_EVERY 64

static int safety_net(strata *s, strata_roundtrip_report *r, sch_track *t, size_t *checked_to, bool *stop)
{
    strata_diff *missed = NULL;
    char *text = NULL;
    int rc = sch_track_check(s, t, &missed);
    sbuf b;
    size_t first = *checked_to;
    *checked_to = r->n;
    if (rc == STRATA_ENOMEM)
        return rc;
    if (rc == STRATA_OK && strata_schema_diff_count(missed) == 0) {
        strata_schema_diff_free(missed);
        return STRATA_OK;
    }
    if (first >= r->n) { /* never expected: a check follows an item */
        strata_schema_diff_free(missed);
        return rc;
    }
    sbuf_init(&b);
    sbuf_printf(&b, "not proven: ");
    if (rc != STRATA_OK) {
        *stop = true;
        sbuf_printf(&b, "the full snapshot that checks the change tracking of versions %lld to %lld failed "
                        "(the run stops here): %s",
                    (long long)r->items[first].pub.version, (long long)r->items[r->n - 1].pub.version,
                    strata_errmsg(s));
    } else if (strata_schema_diff_render(missed, STRATA_FORMAT_TEXT, &text) == STRATA_OK) {
        sbuf_printf(&b, "the change tracking missed a schema change in versions %lld to %lld (the full "
                        "snapshot differs from the tracked one; a role renamed, a catalog edited by hand?); "
                        "as a role that is not superuser the roundtrip takes full snapshots:\n%s",
                    (long long)r->items[first].pub.version, (long long)r->items[r->n - 1].pub.version, text);
    } else {
        b.oom = true;
    }
    free(text);
    strata_schema_diff_free(missed);
    rc = b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : distrust_range(s, r, first, b.data);
    sbuf_free(&b);
    return rc;
}

static int run_checks(strata *s, size_t i, int32_t flags, strata_roundtrip_report *r)
{
    sch_track t;
    size_t checked_to = 0;
    bool stop = false;
    int rc = sch_track_start(s, &t, flags);
    for (; rc == STRATA_OK && i < s->set.n && !stop; i++) {
        rc = check_one(s, i, r, &t, &stop);
        if (rc == STRATA_OK && (r->n - checked_to >= CHECK_EVERY || stop || i + 1 == s->set.n))
            rc = safety_net(s, r, &t, &checked_to, &stop);
    }
    sch_track_end(s, &t);
    return rc;
}

STRATA_EXPORT int strata_verify_roundtrip(strata *s, int64_t from, strata_roundtrip_report **out)
{
    return strata_verify_roundtrip_flags(s, from, 0, out);
}

STRATA_EXPORT int strata_verify_roundtrip_flags(strata *s, int64_t from, int32_t flags,
                                                strata_roundtrip_report **out)
{
    strata_roundtrip_report *r;
    size_t i = 0;
    int rc;
    if (!s)
        return STRATA_EINVAL;
    clear_error(s);
    if (!out || (flags & ~(int32_t)STRATA_SCHEMA_PRIVILEGES))
        return set_error(s, STRATA_EINVAL, "strata_verify_roundtrip: NULL out or unknown flags");
    if (s->dry_run)
        return set_error(s, STRATA_EINVAL, "a roundtrip runs every migration and its down: "
                         "turn dry-run off");
    if ((rc = pg_need_db(s)) != STRATA_OK || (rc = check_conn_idle(s)) != STRATA_OK ||
        (rc = sch_check_empty(s)) != STRATA_OK)
        return rc;
    while (i < s->set.n && s->set.items[i].version < from)
        i++;
    if (i > 0 && (rc = strata_apply(s, s->set.items[i - 1].version)) != STRATA_OK)
        return rc;
    if (!(r = calloc(1, sizeof *r)))
        return set_error(s, STRATA_ENOMEM, "out of memory");
    if ((rc = run_checks(s, i, flags, r)) != STRATA_OK) {
        strata_roundtrip_report_free(r);
        return rc;
    }
    clear_error(s); /* the failures are in the report */
    *out = r;
    return STRATA_OK;
}

STRATA_EXPORT size_t strata_roundtrip_count(const strata_roundtrip_report *r)
{
    return r ? r->n : 0;
}

STRATA_EXPORT const strata_roundtrip_item *strata_roundtrip_get(const strata_roundtrip_report *r,
                                                                size_t index)
{
    return r && index < r->n ? &r->items[index].pub : NULL;
}

STRATA_EXPORT size_t strata_roundtrip_failures(const strata_roundtrip_report *r)
{
    size_t n = 0;
    for (size_t i = 0; r && i < r->n; i++) {
        int32_t res = r->items[i].pub.result;
        n += res == STRATA_RT_DOWN_FAILED || res == STRATA_RT_RESIDUE ||
             res == STRATA_RT_REAPPLY_FAILED || res == STRATA_RT_UP_FAILED;
    }
    return n;
}

/* @text with every line indented by four spaces. */
static void indented(sbuf *b, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        sbuf_puts(b, "    ");
        sbuf_add(b, text, n);
        sbuf_puts(b, "\n");
        text += n + (text[n] == '\n');
    }
}

static void render_item_json(sbuf *b, const rt_item *it)
{
    char *d = NULL;
    sbuf_printf(b, "{\"version\": %lld, \"name\": ", (long long)it->pub.version);
    sch_escape_json(b, it->pub.name);
    sbuf_printf(b, ", \"result\": \"%s\"", it->pub.result_name);
    if (it->pub.error) {
        sbuf_puts(b, ", \"error\": ");
        sch_escape_json(b, it->pub.error);
    }
    if (it->pub.diff) {
        if (strata_schema_diff_render(it->diff, STRATA_FORMAT_JSON, &d) != STRATA_OK)
            b->oom = true;
        else
            sbuf_printf(b, ", \"diff\": %s", d);
        free(d);
    }
    sbuf_puts(b, "}");
}

STRATA_EXPORT int strata_roundtrip_render(const strata_roundtrip_report *r, int32_t format, char **out)
{
    sbuf b;
    char *t;
    if (!r || !out || (format != STRATA_FORMAT_TEXT && format != STRATA_FORMAT_JSON))
        return STRATA_EINVAL;
    sbuf_init(&b);
    if (format == STRATA_FORMAT_JSON)
        sbuf_puts(&b, "[");
    for (size_t i = 0; i < r->n; i++) {
        const rt_item *it = &r->items[i];
        if (format == STRATA_FORMAT_JSON) {
            sbuf_puts(&b, i ? ",\n " : "");
            render_item_json(&b, it);
            continue;
        }
        sbuf_printf(&b, "%lld %s: %s\n", (long long)it->pub.version, it->pub.name, it->pub.result_name);
        if (it->pub.error)
            indented(&b, it->pub.error);
        if (it->pub.diff)
            indented(&b, it->pub.diff);
    }
    if (format == STRATA_FORMAT_JSON)
        sbuf_puts(&b, "]\n");
    if (!(t = sbuf_take(&b)))
        return STRATA_ENOMEM;
    *out = t;
    return STRATA_OK;
}

STRATA_EXPORT void strata_roundtrip_report_free(strata_roundtrip_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->items[i].pub.name);
        free((char *)r->items[i].pub.source);
        free((char *)r->items[i].pub.error);
        free((char *)r->items[i].pub.diff);
        strata_schema_diff_free(r->items[i].diff);
    }
    free(r->items);
    free(r);
}
