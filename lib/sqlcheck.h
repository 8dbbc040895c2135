/* What the parser can tell about a migration's SQL before anything runs. */
#ifndef STRATA_SQLCHECK_H
#define STRATA_SQLCHECK_H

#include "internal.h"

typedef struct sql_facts {
    bool tx_control;   /* top-level BEGIN/COMMIT/ROLLBACK: self-managed */
} sql_facts;

/* Checks @sql (a migration part that begins at line @first_line of
 * @source) for what cannot run in a migration: COPY from or to the client,
 * and unbalanced BEGIN/COMMIT/ROLLBACK. On failure sets the handle error
 * naming source:line and returns STRATA_EPARSE; @facts filled on success
 * (may be NULL). SQL the parser cannot read passes: the server judges it. */
int sql_precheck(strata *s, const char *sql, const char *source, int32_t first_line,
                 sql_facts *facts);

#endif
