/* Batch runner (run_batch.c): the hook observe mode uses to look inside
 * each batch's transaction, with the runner's bookkeeping unchanged. */
#ifndef STRATA_RUN_BATCH_H
#define STRATA_RUN_BATCH_H

#include "internal.h"

typedef struct batch_hook {
    /* one query run in each batch's transaction right after the batch's
     * statement (before its progress update and COMMIT) */
    const char *after_sql;
    /* after each committed batch: its number, rows, duration, and the
     * result of @after_sql */
    void (*done)(void *arg, int32_t batch, int64_t rows, int64_t ms, const PGresult *after);
    void *arg;
} batch_hook;

/* run_migration_batch() with @h (NULL: none) looking inside each batch. */
int run_migration_batch_hooked(run_ctx *rc, const migration *m, const batch_hook *h);

#endif
