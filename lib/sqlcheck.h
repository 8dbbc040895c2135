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

/* The table a single UPDATE or DELETE writes (schema NULL when not
 * written), unquoted; false for anything else. Caller frees both. */
bool dml_target(const char *sql, char **schema, char **rel);

/* True when @sql holds only comments, semicolons and blanks (split.c); when
 * @first_comment is not NULL it receives the first comment's text (or NULL;
 * caller frees). */
bool sql_holds_no_statement(const char *sql, char **first_comment);

#endif
