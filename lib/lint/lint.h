/* Private to the linter: the per-migration context the rules read and
 * write, and the helpers every rule family shares. */
#ifndef STRATA_LINT_H
#define STRATA_LINT_H

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "../internal.h"

typedef struct strvec {
    char **items;
    size_t n, cap;
    bool oom;               /* an add failed: the linter's knowledge is incomplete */
} strvec;

void strvec_add(strvec *v, const char *s);
bool strvec_has(const strvec *v, const char *s);
void strvec_free(strvec *v);

/* Knowledge that carries from one migration to the next in a run. Table,
 * column and constraint names in every key are quoted as quote.c prints
 * them, so that keys compare exactly and cannot collide. */
typedef struct lint_memory {
    strvec coltypes;        /* "table.column=type" as created */
    strvec notnull_checks;  /* "constraint=table.column" added NOT VALID */
    strvec proven_notnull;  /* "table.column" with a validated IS NOT NULL check */
    strvec live_tables;     /* tables whose column types were read from the database */
    strvec livetypes;       /* "table.column=type" as the database has it */
    bool oom;               /* a finding or its text was lost: strata_lint fails */
} lint_memory;

typedef struct lint_ctx {
    strata *s;
    struct strata_lint_report *rep;
    lint_memory *mem;
    const migration *m;
    const char *sql;            /* the text being linted (up SQL) */
    PgQuery__ScanResult *scan;  /* tokens of sql, for statement starts */
    int32_t pgv;
    bool silent;                /* context only: record no finding */
    bool lock_timeout_off;
    strvec created;             /* tables created earlier in this migration */
    strvec notvalid;            /* constraints added NOT VALID in this migration */
    strvec allow;               /* rules named by strata:allow */
    bool *allow_used;
    int32_t exclusive_at;       /* offset of an ACCESS EXCLUSIVE statement, -1 */
    int32_t ddl_at, dml_at;     /* first DDL / DML on an existing table, -1 */
    int32_t stmt_at;            /* start of the current statement */
    char *table;                /* table the current statement locks, or NULL */
    strvec locked;              /* tables under ACCESS EXCLUSIVE in this transaction */
    strvec scratch;             /* quoted names for the current statement's messages */
} lint_ctx;

/* Names the table the current statement works on (for size grading). */
void lint_set_table(lint_ctx *c, const PgQuery__RangeVar *rv);

/* Records a finding of @rule at byte offset @at of the linted text. */
void lint_add(lint_ctx *c, const char *rule, int32_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int32_t lint_line(const lint_ctx *c, int32_t at);
/* Shared by the rule families (rules.c, columns.c, alter.c, objects.c). */
const char *lint_str(const PgQuery__Node *n);
void lint_strong_lock(lint_ctx *c, bool new_table, bool exclusive, const char *what);
bool lint_is_new(const lint_ctx *c, const PgQuery__RangeVar *rv);

#endif
