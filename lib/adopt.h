/* Adopting another migration tool's history (adopt.c). Private. */
#ifndef STRATA_ADOPT_H
#define STRATA_ADOPT_H

#include "internal.h"

/* How one tool records what it applied. */
typedef struct adopt_tool {
    const char *name;     /* as strata_adopt takes it: "dbmate", "goose", ... */
    const char *table;    /* its default table */
    /* SELECT of (version text, state char) FROM %s, the quoted table; the
     * state: 'a' applied, 'u' applied with every older one (golang-migrate
     * keeps only the current version), 'b' baseline (every version up to it,
     * itself not necessarily a migration), 'd' dirty or failed, 'n' not
     * applied (rolled back, deleted), 's' not a migration (goose's row 0). */
    const char *query;
    const char *repair;   /* what clears a dirty or failed row in that tool */
} adopt_tool;

/* The tool named @name, or NULL. */
const adopt_tool *adopt_tool_find(const char *name);

/* The tool whose table @cols (the table's column names, comma separated)
 * looks like, or NULL. */
const adopt_tool *adopt_tool_by_columns(const char *cols);

/* strata_apply with nothing in strata's history @h (read just before):
 * STRATA_EUNKNOWN naming each tool whose history table is in the database
 * (its migrations would run again), unless strata_set_ignore_other_history.
 * One catalog query, and none at all when @h has a row. */
int adopt_check_other(strata *s, const history *h);

#endif
