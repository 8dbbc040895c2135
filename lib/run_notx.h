/* No-transaction runner (run_notx.c): the hook observe mode uses to watch
 * each statement while it runs, with the runner's bookkeeping unchanged. */
#ifndef STRATA_RUN_NOTX_H
#define STRATA_RUN_NOTX_H

#include "internal.h"

/* Sends the query that runs statement @idx (0-based) of the migration, in
 * place of pg_exec() and with its contract (*out always set, the
 * statement's result first): together with its progress update in one
 * implicit transaction, or @alone (a statement that refuses a transaction
 * block, such as CREATE INDEX CONCURRENTLY). */
typedef struct notx_hook {
    int (*exec)(void *arg, strata *s, const char *sql, int32_t idx, bool alone, pgres_list *out);
    void *arg;
} notx_hook;

/* run_migration_notx() with every statement sent through @h (NULL: pg_exec). */
int run_migration_notx_hooked(run_ctx *rc, const migration *m, int32_t start,
                              const notx_hook *h);

#endif
