/* The lock sampler (observe_sample.c): while a statement that commits on
 * its own runs (CREATE INDEX CONCURRENTLY...), its locks are gone before
 * its backend could be asked, so a second connection reads pg_locks for
 * that backend every few milliseconds, on a thread of its own, until the
 * statement's result arrives. */
#ifndef STRATA_OBSERVE_SAMPLE_H
#define STRATA_OBSERVE_SAMPLE_H

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

#define SAMPLE_INTERVAL_MS 5

/* The columns every look at the locks returns (sampler_take). */
#define SAMPLE_COLUMNS_SQL                                                                 \
    "SELECT l.relation::text, l.relation::regclass::text, l.mode, l.granted FROM pg_locks l "
/* After the select list: the locks of a statement still inside its
 * transaction, read by its own backend; then the oid[] of the excluded
 * relations. */
#define SAMPLE_OWN_SQL                                                                     \
    "WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.relation >= 16384 "  \
    "AND l.relation <> ALL "

typedef struct seen_lock {
    char *oid, *rel, *mode;
    bool granted, waited;      /* seen granted / seen waiting */
    int64_t first_ms, last_ms; /* first and last sample that saw it granted */
} seen_lock;

typedef struct lock_sampler {
    PGconn *conn;              /* the second connection */
    char pid[16];              /* the migration's backend */
    char *exclude;             /* oid[] literal: the history table and its indexes */
    pthread_t thread;
    bool running;
    atomic_bool stop;
    /* written by the thread while running, read after sampler_stop */
    seen_lock *locks;
    size_t n;
    int samples;
    bool oom;
    char *error;               /* first failed sample's message, or NULL */
} lock_sampler;

/* Connects like @s (its parameters; the watcher's way) and prepares the
 * sample query. On failure sets @s's error (STRATA_ECONNECT / _ENOMEM). */
int sampler_open(strata *s, lock_sampler *ls);
/* Forgets the last statement's locks and starts sampling. */
int sampler_start(strata *s, lock_sampler *ls);
/* Stops sampling (joins the thread); the locks seen are then in @ls. */
void sampler_stop(lock_sampler *ls);
/* Adds the locks of @r (SAMPLE_COLUMNS_SQL) to what @ls saw. */
void sampler_take(lock_sampler *ls, const PGresult *r);
/* Relation names for oids the sampler could not name yet (a relation the
 * statement created, not committed when sampled); then sorts the locks by
 * relation and mode. */
void sampler_resolve(lock_sampler *ls);
void sampler_close(lock_sampler *ls);

#endif
