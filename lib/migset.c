/* The migration set: validated migrations kept in version order. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "source_text.h"

void migration_clear(migration *m)
{
    free(m->name);
    free(m->up_sql);
    free(m->down_sql);
    free(m->source);
    free(m->down_source);
    free(m->down_comment);
    directives_clear(&m->d);
    directives_clear(&m->down_d);
    memset(m, 0, sizeof *m);
}

void migset_clear(migset *set)
{
    for (size_t i = 0; i < set->n; i++)
        migration_clear(&set->items[i]);
    free(set->items);
    memset(set, 0, sizeof *set);
}

bool utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + n;
    while (s < e) {
        unsigned c = *s;
        size_t k;
        if (c < 0x80) { s++; continue; }
        if (c >= 0xC2 && c <= 0xDF) k = 1;
        else if (c >= 0xE0 && c <= 0xEF) k = 2;
        else if (c >= 0xF0 && c <= 0xF4) k = 3;
        else return false;
        if ((size_t)(e - s) <= k)
            return false;
        for (size_t i = 1; i <= k; i++)
            if ((s[i] & 0xC0) != 0x80)
                return false;
        if (c == 0xE0 && s[1] < 0xA0) return false;       /* overlong */
        if (c == 0xED && s[1] > 0x9F) return false;       /* surrogates */
        if (c == 0xF0 && s[1] < 0x90) return false;
        if (c == 0xF4 && s[1] > 0x8F) return false;
        s += k + 1;
    }
    return true;
}

int version_check(int64_t version, const char *label, sbuf *err)
{
    if (version < 0) {
        sbuf_printf(err, "%s: version %lld is negative (versions are >= 0)", label,
                    (long long)version);
        return STRATA_EINVAL;
    }
    if (version > VERSION_MAX) {
        sbuf_printf(err, "%s: version %lld is out of range (at most %lld)", label,
                    (long long)version, (long long)VERSION_MAX);
        return STRATA_EINVAL;
    }
    return STRATA_OK;
}

/* Leading directives of one direction; errors as "label:line: message". */
static int parse_directives(directives *d, const char *sql, int32_t line, const char *label,
                            sbuf *err)
{
    sbuf e2;
    int rc;
    directives_clear(d);
    sbuf_init(&e2);
    rc = directives_parse(d, sql, line >= 0 ? line : 1, &e2); /* 0: a carried directive line */
    if (rc)
        sbuf_printf(err, "%s:%s", label, e2.data ? e2.data + 5 : " bad directive");
    sbuf_free(&e2);
    return rc;
}

/* An empty up is listed (a fresh template must not break the directory)
 * and refused by the runner; an empty down is kept apart from a missing
 * one, with its comment ("Not reversible") for the refusal message.
 * Computed when first asked (the runner's plan check, status, a revert),
 * not at load: the set is the handle's own, so the cache is written
 * through the const pointer the readers hold. */
void migration_classify(const migration *cm)
{
    migration *m = (migration *)cm;
    if (m->classified)
        return;
    m->classified = true;
    m->up_empty = !sql_holds_statement(m->up_sql);
    m->down_empty = m->down_sql && !sql_holds_statement(m->down_sql);
    free(m->down_comment);
    m->down_comment = m->down_empty ? sql_first_comment(m->down_sql) : NULL;
}

bool migration_up_empty(const migration *m)
{
    migration_classify(m);
    return m->up_empty;
}

static bool utf8_bad(const char *s)
{
    return s && !utf8_valid(s, strlen(s));
}

int migration_finish(migration *m, sbuf *err)
{
    const char *label = m->source ? m->source : "migration";
    int rc = version_check(m->version, label, err);
    if (rc)
        return rc;
    if (!m->name || !m->up_sql || !m->source || (m->down_sql && !m->down_source) ||
        (m->down_line && !m->down_sql)) /* a lost copy of the down: not "irreversible" */
        return STRATA_ENOMEM;
    if (utf8_bad(m->up_sql) || utf8_bad(m->down_sql)) {
        sbuf_printf(err, "%s: invalid UTF-8 (save the file as UTF-8)",
                    utf8_bad(m->up_sql) ? label : m->down_source);
        return STRATA_EPARSE;
    }
    rc = parse_directives(&m->d, m->up_sql, m->up_line, label, err);
    if (rc == STRATA_OK && m->down_sql)
        rc = parse_directives(&m->down_d, m->down_sql, m->down_line, m->down_source, err);
    if (rc)
        return rc;
    if (checksum_sql(m->checksum, m->up_sql))
        return STRATA_ERROR;
    return STRATA_OK;
}

bool migration_down_no_transaction(const migration *m)
{
    return m->down_sql && m->down_d.no_transaction;
}

const migration *migset_find(const migset *set, int64_t version)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->items[mid].version == version)
            return &set->items[mid];
        if (set->items[mid].version < version)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int by_version(const void *a, const void *b)
{
    const migration *x = a, *y = b;
    return x->version < y->version ? -1 : x->version > y->version;
}

int migset_merge(migset *set, migset *add, sbuf *err)
{
    migration *items;
    size_t n = set->n + add->n;
    if (add->n == 0) {
        free(add->items); /* an empty add still owns its array */
        memset(add, 0, sizeof *add);
        return STRATA_OK;
    }
    items = realloc(set->items, n * sizeof *items);
    if (!items)
        return STRATA_ENOMEM;
    memcpy(items + set->n, add->items, add->n * sizeof *items);
    qsort(items, n, sizeof *items, by_version);
    for (size_t i = 1; i < n; i++) {
        if (items[i].version == items[i - 1].version) {
            sbuf_printf(err, "%s and %s: both have version %lld (each version must be unique)",
                        items[i - 1].source, items[i].source, (long long)items[i].version);
            /* restore: drop the added entries from set without freeing them */
            size_t k = 0;
            for (size_t j = 0; j < n; j++) {
                bool added = false;
                for (size_t a = 0; a < add->n; a++)
                    if (items[j].source == add->items[a].source)
                        added = true;
                if (!added)
                    items[k++] = items[j];
            }
            set->items = items;
            set->n = k;
            set->cap = n;
            return STRATA_EDUPLICATE;
        }
    }
    set->items = items;
    set->n = set->cap = n;
    free(add->items);
    memset(add, 0, sizeof *add);
    return STRATA_OK;
}
