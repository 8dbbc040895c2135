/* Private to the linter: the per-migration context the rules read and
 * write, and the rule table. */
#ifndef STRATA_LINT_H
#define STRATA_LINT_H

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "internal.h"

typedef struct rule_info {
    const char *id;
    int32_t severity;
    const char *why;   /* lock taken, what it blocks or breaks */
    const char *fix;   /* the safe recipe */
} rule_info;

extern const rule_info lint_rules[];
extern const size_t lint_rule_count;
const rule_info *lint_rule(const char *id);

typedef struct strvec {
    char **items;
    size_t n, cap;
    bool oom;               /* an add failed: the linter's knowledge is incomplete */
} strvec;

void strvec_add(strvec *v, const char *s);
bool strvec_has(const strvec *v, const char *s);
void strvec_free(strvec *v);

/* Knowledge that carries from one migration to the next in a run. */
typedef struct lint_memory {
    strvec coltypes;        /* "table.column=type" as created */
    strvec notnull_checks;  /* "constraint=table.column" added NOT VALID */
    strvec proven_notnull;  /* "table.column" with a validated IS NOT NULL check */
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
} lint_ctx;

/* Names the table the current statement works on (for size grading). */
void lint_set_table(lint_ctx *c, const PgQuery__RangeVar *rv);

/* Records a finding of @rule at byte offset @at of the linted text. */
void lint_add(lint_ctx *c, const char *rule, int32_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int32_t lint_line(const lint_ctx *c, int32_t at);
/* With a live database: notes each locking finding's table size, and lowers
 * the severity where the table is small or does not exist yet (lint_size.c). */
void lint_grade_by_size(strata *s, strata_lint_finding *items, char *const *tables, size_t n);
/* Shared by the rule families (lint_rules.c, lint_columns.c, lint_alter.c,
 * lint_objects.c). */
const char *lint_str(const PgQuery__Node *n);
void lint_strong_lock(lint_ctx *c, bool new_table, bool exclusive, const char *what);
void check_create(lint_ctx *c, const PgQuery__CreateStmt *st);
void remember_type(lint_ctx *c, const char *rel, const char *col, const PgQuery__TypeName *t);
char *type_text(const PgQuery__TypeName *t);
const char *remembered_type(const lint_ctx *c, const char *rel, const char *col);
bool coercible(const char *old, const char *new_);
void check_add_column(lint_ctx *c, const char *rel, const PgQuery__ColumnDef *cd, bool new_table);
void check_alter_table(lint_ctx *c, const PgQuery__AlterTableStmt *st);
void check_index(lint_ctx *c, const PgQuery__IndexStmt *ix);
void check_drop(lint_ctx *c, const PgQuery__DropStmt *d);
void check_other(lint_ctx *c, const PgQuery__Node *n);
/* Runs every rule over one parsed statement. */
void lint_statement(lint_ctx *c, const PgQuery__Node *stmt);
/* "schema.rel" or "rel" (malloc'd). */
char *lint_relname(const PgQuery__RangeVar *rv);
bool lint_is_new(const lint_ctx *c, const PgQuery__RangeVar *rv);

#endif
