/* Exact resume of no-transaction migrations: what each finished statement
 * was, kept in the history row, and what the catalog says about a statement
 * cut off between its commit and its progress row. */
#ifndef STRATA_RESUME_H
#define STRATA_RESUME_H

#include "internal.h"

/* Hashes of the statements of @sql (as split into @sl): 16 hex digits each,
 * joined by commas, so the first n take n * 17 - 1 bytes. NULL on OOM. */
char *resume_hashes(const char *sql, const stmt_list *sl);
/* Adds the nullable done_hashes column to an older history table (under the
 * lock; a table that has it is left alone, without a statement). */
int resume_prepare_table(strata *s);
/* Before resuming @m at statement @done (0-based count of finished ones):
 * refuses, naming file:line of the first statement that differs from what
 * ran, unless the finished prefix is unchanged. @hashes: resume_hashes(). */
int resume_check(strata *s, const migration *m, const stmt_list *sl, const char *hashes,
                 int32_t done);
/* True when @stmt, the statement at the resume point, is a CREATE INDEX
 * CONCURRENTLY whose valid index is already in the catalog: it completed
 * before its progress row could be written. */
bool resume_statement_done(strata *s, const char *stmt);

/* The SQL literal of the quoted name schema.rel (schema may be NULL), for
 * to_regclass(): mixed-case names stay as written. NULL on OOM. */
char *regclass_literal(strata *s, const char *schema, const char *rel);
/* Resuming at @stmt, a CREATE INDEX CONCURRENTLY whose earlier attempt was
 * cut off: the INVALID index it left under its name is dropped (DROP INDEX
 * CONCURRENTLY, with a warning event) so the statement can run again.
 * Returns STRATA_OK when there was nothing to drop. */
int resume_drop_invalid_index(strata *s, const migration *m, const char *stmt);

#endif
