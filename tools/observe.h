/* strata up --observe: gathers the STRATA_EVENT_OBSERVED events of a run
 * and reports them per migration (text or JSON). */
#ifndef STRATA_TOOLS_OBSERVE_H
#define STRATA_TOOLS_OBSERVE_H

#include <stdbool.h>
#include <stdio.h>

#include "strata.h"

typedef struct observe_log observe_log;

observe_log *observe_new(void);
void observe_free(observe_log *o);
/* Takes the events that matter (migration start, observed); others ignored. */
void observe_event(observe_log *o, const strata_event *ev);
/* The readable report: per migration, per statement, strongest lock per
 * table with its hold time, rewrites, slowest statements. */
void observe_print_text(FILE *f, const observe_log *o);
/* [{"version", "name", "statements": [{"line", "duration_ms", "rows",
 * "locks": [{"relation", "mode"}], "rewrote": [...]}], "held": [...]}] */
void observe_print_json(FILE *f, const observe_log *o);

#endif
