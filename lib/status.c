/* Status: every version known to the program or the database, with its
 * state (doc/design.md section 6). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "down.h"

struct strata_status_list {
    strata_status_row *rows;
    size_t n;
    char **strings; /* owned copies the rows point into */
    size_t n_strings;
    bool oom;       /* a copy failed: the list is not returned */
};

static const char *const state_names[] = {"pending", "applied", "modified",
                                          "unknown", "dirty",   "out-of-order"};

static const char *keep(strata_status_list *st, const char *v)
{
    char *c;
    if (!v)
        return NULL;
    c = xstrdup(v);
    st->oom |= !c;
    if (c)
        st->strings[st->n_strings++] = c;
    return c;
}

STRATA_EXPORT void strata_status_free(strata_status_list *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n_strings; i++)
        free(st->strings[i]);
    free(st->strings);
    free(st->rows);
    free(st);
}

STRATA_EXPORT size_t strata_status_count(const strata_status_list *st)
{
    return st ? st->n : 0;
}

STRATA_EXPORT const strata_status_row *strata_status_get(const strata_status_list *st, size_t index)
{
    return st && index < st->n ? &st->rows[index] : NULL;
}

static void fill_from_history(strata_status_list *st, strata_status_row *row, const hist_row *h)
{
    row->applied_at = keep(st, h->applied_at);
    row->duration_ms = h->duration_ms;
    row->failed_statement = h->failed_statement;
    row->error = keep(st, h->error);
    row->phase = keep(st, h->phase);
}

/* What status shows beside the state: empty parts, a missing down, a dirty
 * row whose run was cut off (no failed statement recorded). */
static int32_t row_flags(const migration *m, const hist_row *r, bool scan)
{
    int32_t f = 0;
    if (m && scan && migration_up_empty(m))
        f |= STRATA_ROW_EMPTY_UP;
    if (m && !m->down_sql)
        f |= STRATA_ROW_NO_DOWN;
    if (m && scan && down_is_empty(m, NULL))
        f |= STRATA_ROW_EMPTY_DOWN;
    if (r && r->dirty && r->failed_statement <= 0)
        f |= STRATA_ROW_INTERRUPTED;
    return f;
}

static int build(strata_status_list *st, strata *s, const history *h, bool scan)
{
    size_t i = 0, j = 0;
    int64_t newest = h->n ? h->rows[h->n - 1].version : 0;
    while (i < s->set.n || j < h->n) {
        const migration *m = i < s->set.n ? &s->set.items[i] : NULL;
        const hist_row *r = j < h->n ? &h->rows[j] : NULL;
        strata_status_row *row = &st->rows[st->n++];
        memset(row, 0, sizeof *row);
        row->duration_ms = -1;
        if (m && (!r || m->version <= r->version)) {
            bool contract = m->d.phase == STRATA_PHASE_CONTRACT;
            row->version = m->version;
            row->name = keep(st, m->name);
            row->phase = contract ? "contract" : "expand";
            bool same = r && r->version == m->version;
            row->flags = row_flags(m, same ? r : NULL, scan);
            if (same) {
                fill_from_history(st, row, r);
                row->state = r->dirty ? STRATA_STATE_DIRTY
                             : (r->checksum_algo == 1 && memcmp(r->checksum, m->checksum, 32))
                                 ? STRATA_STATE_MODIFIED
                                 : STRATA_STATE_APPLIED;
                j++;
            } else {
                row->state = m->version < newest && !contract ? STRATA_STATE_OUT_OF_ORDER
                                                              : STRATA_STATE_PENDING;
            }
            i++;
        } else {
            row->version = r->version;
            row->name = keep(st, r->name);
            row->flags = row_flags(NULL, r, scan);
            fill_from_history(st, row, r);
            row->state = r->dirty ? STRATA_STATE_DIRTY : STRATA_STATE_UNKNOWN;
            j++;
        }
        row->state_name = state_names[row->state];
    }
    return STRATA_OK;
}

STRATA_EXPORT int strata_status(strata *s, strata_status_list **out)
{
    return strata_status_v2(s, 0, out);
}

/* STRATA_STATUS_STATES_ONLY: a no-op `strata up` asks for states twice
 * (is -m the right directory? what is left?); the empty-part flags would
 * have the parser scan every up and down for nothing. */
STRATA_EXPORT int strata_status_v2(strata *s, int32_t options, strata_status_list **out)
{
    history h = {0};
    strata_status_list *st;
    int rc;
    if (!s || !out || (options & ~STRATA_STATUS_STATES_ONLY))
        return STRATA_EINVAL;
    clear_error(s);
    if (s->conn) {
        if ((rc = pg_need_db(s)) || (rc = history_read(s, &h)))
            return rc;
    }
    st = calloc(1, sizeof *st);
    size_t cap = s->set.n + h.n + 1;
    if (st) {
        st->rows = calloc(cap, sizeof *st->rows);
        st->strings = calloc(cap * 5, sizeof *st->strings);
    }
    if (!st || !st->rows || !st->strings) {
        strata_status_free(st);
        history_clear(&h);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    build(st, s, &h, !(options & STRATA_STATUS_STATES_ONLY));
    history_clear(&h);
    if (st->oom) {
        strata_status_free(st);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    *out = st;
    return STRATA_OK;
}
