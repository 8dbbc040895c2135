/* The down part of a migration: its own directives and emptiness. */
#ifndef STRATA_DOWN_H
#define STRATA_DOWN_H

#include "internal.h"

/* True when @m has a down that holds no statement (marked at load, or only
 * comments and blanks); @comment, when not NULL, receives the first comment's
 * text or NULL (caller frees). */
bool down_is_empty(const migration *m, char **comment);
/* The down's own directives (its transaction mode, timeouts): @m's down_d,
 * or for a set loaded before down_d was filled (phase 0), @tmp parsed here;
 * the caller directives_clear()s @tmp either way. */
const directives *down_directives(const migration *m, directives *tmp);
/* The timeout SETs for the down of @m, from its own directives; NULL on OOM. */
char *down_settings_sql(strata *s, const migration *m, bool local);
/* An allowed empty down: removes the history row with @del and sends a
 * STRATA_EVENT_WARNING naming the migration and quoting its comment. */
int revert_empty(run_ctx *rc, const migration *m, const char *del);

#endif
