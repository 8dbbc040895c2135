/* Pieces shared by the observers (observe.c, observe_notx.c,
 * observe_batch.c): the queries, rewrite detection by relfilenode, the
 * longest hold of each lock, and the OBSERVED events. */
#ifndef STRATA_OBSERVE_REPORT_H
#define STRATA_OBSERVE_REPORT_H

#include "internal.h"

/* Relation locks this backend holds; oids below FirstNormalObjectId (16384)
 * are the system's own, among them the catalogs these queries read. */
#define OBSERVE_LOCKS_SQL                                                                  \
    "SELECT l.relation::regclass::text, l.mode FROM pg_locks l WHERE l.pid = "             \
    "pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.relation >= 16384 "  \
    "ORDER BY 1, 2"
/* Relfilenodes of user relations, by oid. */
#define OBSERVE_FILES_SQL                                                                  \
    "SELECT c.oid::bigint, c.relfilenode::bigint, c.oid::regclass::text FROM pg_class c "  \
    "WHERE c.oid >= 16384 AND c.relkind IN ('r', 'm', 'i') ORDER BY 1"

typedef struct relfile {
    int64_t oid, filenode;
} relfile;

typedef struct relfiles {
    relfile *items; /* sorted by oid */
    size_t n;
    bool known;     /* a snapshot was taken */
} relfiles;

/* Takes @r (OBSERVE_FILES_SQL) as the new snapshot, appending to @json
 * "\"rewrote\":[...]" the relations whose relfilenode changed since the
 * last one, and counting them in *@nrewrote (may be NULL). False when out
 * of memory. */
bool relfiles_update(relfiles *f, const PGresult *r, sbuf *json, size_t *nrewrote);
void relfiles_clear(relfiles *f);

/* The longest time each (relation, mode) was seen held. */
typedef struct held_span {
    char *rel, *mode;
    int64_t ms;
} held_span;

typedef struct held_list {
    held_span *items;
    size_t n;
    bool oom;
} held_list;

void held_note(held_list *h, const char *rel, const char *mode, int64_t ms);
/* The statement-0 event {"held":[{"relation","mode","ms"}]} (nothing when empty). */
void held_emit(strata *s, const migration *m, const held_list *h);
void held_clear(held_list *h);

/* Appends {"relation":R,"mode":M}, with a leading comma unless @first. */
void lock_json(sbuf *json, bool first, const char *rel, const char *mode);
/* File line of byte @offset of @m's up SQL. */
int32_t observe_line_of(const migration *m, int32_t offset);
/* One STRATA_EVENT_OBSERVED event: statement @idx (0: the held summary). */
void observe_emit(strata *s, const migration *m, int32_t idx, int64_t ms, int64_t rows,
                  const char *json);

#endif
