/* Private: the schema model of a roundtrip, kept up to date by re-reading
 * only what the migrations touched (track.c). */
#ifndef STRATA_SCHEMA_TRACK_H
#define STRATA_SCHEMA_TRACK_H

#include "schema.h"

typedef struct sch_track {
    strata_schema *model; /* the database's schema as of the last update */
    bool on;              /* event triggers installed and intact */
    int pid;              /* the backend they log for */
    size_t analyzed_at;   /* full mode: model size at the last ANALYZE */
    int32_t flags;        /* snapshot flags (STRATA_SCHEMA_PRIVILEGES) */
} sch_track;

/* Takes the first model (a full snapshot, with @flags). Installs the event
 * triggers that log what DDL touches when the role may (superuser) and no
 * privileges are asked for (a GRANT names no object to an event trigger),
 * else every update is a full snapshot. */
int sch_track_start(strata *s, sch_track *t, int32_t flags);
/* Brings the model up to date with the database. @diff (may be NULL): what
 * changed since the last update, set on success. */
int sch_track_update(strata *s, sch_track *t, strata_diff **diff);
/* The safety net: a full snapshot compared with the model, which it then
 * replaces. *missed: what the tracking missed (empty when nothing). */
int sch_track_check(strata *s, sch_track *t, strata_diff **missed);
/* Removes the event triggers (quietly) and frees the model. */
void sch_track_end(strata *s, sch_track *t);

#endif
