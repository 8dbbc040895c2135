/* The lint rules (doc/design.md section 9, explained in doc/safety.md): the table of rules with their
 * severity, reason and recipe; helpers shared by the rule families
 * (columns.c, alter.c, objects.c); and the dispatcher that
 * hands each statement to them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alter.h"
#include "objects.h"
#include "rules.h"
#include "columns.h"
#include "quote.h"

#define E STRATA_SEVERITY_ERROR
#define W STRATA_SEVERITY_WARNING
#define I STRATA_SEVERITY_INFO

const rule_info lint_rules[] = {
    {"index-not-concurrent", E,
     "CREATE INDEX takes a SHARE lock on an existing table: every INSERT, UPDATE and DELETE waits "
     "until the whole index is built",
     "CREATE INDEX CONCURRENTLY in a `-- strata:no-transaction` migration"},
    {"drop-index-not-concurrent", W,
     "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: reads and writes wait",
     "DROP INDEX CONCURRENTLY in a `-- strata:no-transaction` migration"},
    {"reindex-not-concurrent", W,
     "REINDEX locks out writes (and reads using the index) for the whole rebuild",
     "REINDEX ... CONCURRENTLY (PostgreSQL 12+) in a `-- strata:no-transaction` migration"},
    {"concurrently-in-transaction", E,
     "a CONCURRENTLY operation cannot run inside a transaction block: the migration fails at run time",
     "put `-- strata:no-transaction` at the top of the migration (statements then run one by one)"},
    {"add-column-volatile-default", E,
     "a volatile DEFAULT (or any default before PostgreSQL 11) rewrites the whole table under an "
     "ACCESS EXCLUSIVE lock",
     "add the column nullable without default, SET DEFAULT for new rows, backfill old rows in a "
     "`-- strata:batch` migration"},
    {"add-column-rewrite-type", E,
     "serial, identity and GENERATED ... STORED columns rewrite the whole table under an ACCESS "
     "EXCLUSIVE lock",
     "add a plain column, attach the sequence or expression for new rows, backfill in batches"},
    {"add-column-required", E,
     "ADD COLUMN ... NOT NULL without a default fails on a table with rows, and breaks the running "
     "release's INSERTs that do not name the column",
     "add the column nullable, backfill it in batches, then apply the set-not-null recipe"},
    {"set-not-null", W,
     "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
     "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; then in a later migration VALIDATE "
     "CONSTRAINT c; then SET NOT NULL (PostgreSQL 12+ skips the scan) and DROP CONSTRAINT c"},
    {"fk-without-not-valid", E,
     "ADD FOREIGN KEY locks both tables (SHARE ROW EXCLUSIVE) and scans the referencing one",
     "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
    {"check-without-not-valid", W,
     "ADD CHECK scans the whole table under an ACCESS EXCLUSIVE lock",
     "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
    {"validate-same-transaction", W,
     "VALIDATE in the same transaction as the NOT VALID constraint keeps the ADD's ACCESS EXCLUSIVE "
     "lock for the whole scan, undoing the point of NOT VALID",
     "move VALIDATE CONSTRAINT to its own, later migration"},
    {"unique-constraint-direct", E,
     "ADD UNIQUE / PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock",
     "CREATE UNIQUE INDEX CONCURRENTLY (no-transaction migration), then ADD CONSTRAINT ... UNIQUE "
     "USING INDEX"},
    {"alter-column-type", E,
     "ALTER COLUMN TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless "
     "binary-coercible, such as varchar widening or varchar to text)",
     "add a new column, write both, backfill in batches, switch reads, drop the old column"},
    {"rename-column", E,
     "RENAME COLUMN breaks every running query that names the old column",
     "add the new column, write both, backfill, switch reads, drop the old one in a contract "
     "migration"},
    {"rename-table", E,
     "RENAME TABLE breaks every running query that names the old table",
     "create the new table (or rename and leave a compatibility view under the old name)"},
    {"drop-column", E,
     "DROP COLUMN breaks running code that still reads it and loses its data",
     "stop using the column in a release, then drop it in a `-- strata:phase contract` migration"},
    {"drop-table", E,
     "DROP TABLE / DROP SCHEMA / TRUNCATE ... CASCADE destroys data and breaks running code",
     "make sure nothing uses it, then allow it explicitly with `-- strata:allow drop-table -- reason`"},
    {"drop-not-null", W,
     "DROP NOT NULL lets NULLs in that running code assumes cannot exist",
     "check the readers, then allow it explicitly with `-- strata:allow drop-not-null -- reason`"},
    {"missing-lock-timeout", W,
     "with lock_timeout off, this statement queues for its lock and every later reader and writer "
     "of the table queues behind it",
     "keep the runner's lock_timeout (default 5s) or SET lock_timeout = '5s' in the migration"},
    {"statement-after-exclusive-lock", W,
     "an ACCESS EXCLUSIVE lock taken earlier in this transaction is held while this statement runs",
     "put the strong-lock statement last in its migration, or split the migration"},
    {"schema-and-data-mixed", W,
     "DDL and DML in one migration: the DDL's locks are held while the data changes run",
     "put the schema change and the data change in separate migrations"},
    {"unbatched-dml", W,
     "UPDATE / DELETE of an existing table in one transaction locks every row it touches and bloats "
     "the table",
     "a `-- strata:batch` migration that changes a bounded number of rows per run"},
    {"batch-update-never-converges", E,
     "a batch migration re-runs its UPDATE until it changes 0 rows; rows it changed still match its "
     "WHERE, so every run changes them again and the batch never ends",
     "make the WHERE skip rows already done by testing a column the SET changes: UPDATE t SET c = "
     "v WHERE id IN (SELECT id FROM t WHERE c IS DISTINCT FROM v LIMIT 1000)"},
    {"transaction-control", W,
     "BEGIN / COMMIT / ROLLBACK inside a migration: strata runs it as written, not atomically with "
     "its history row",
     "remove them and let the runner own the transaction (or use `-- strata:no-transaction`)"},
    {"detach-partition-not-concurrent", W,
     "DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the parent table",
     "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) in a `-- strata:no-transaction` migration"},
    {"enum-value-unordered", I,
     "the enum's sort order or existing values change for running code",
     "give the position explicitly (BEFORE/AFTER); instead of renaming, add a value and backfill"},
    {"table-rewrite-maintenance", E,
     "VACUUM FULL, CLUSTER and REFRESH MATERIALIZED VIEW hold an ACCESS EXCLUSIVE lock for the "
     "whole rewrite",
     "pg_repack for tables; REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index)"},
    {"irreversible", I,
     "there is no down SQL, so this migration cannot be rolled back",
     "write the down migration, or allow it on purpose with `-- strata:allow irreversible -- reason`"},
    {"unparsed", E,
     "the linter could not verify this statement, and the server will most likely reject it too",
     "check it by hand; if it is valid SQL for a newer PostgreSQL, allow it with `-- strata:allow "
     "unparsed -- reason`"},
    {"allow-unknown-rule", W, "the directive has no effect", "fix the rule id (see doc/safety.md)"},
    {"allow-unused", W, "the directive has no effect here", "remove the rule from strata:allow"},
};
const size_t lint_rule_count = sizeof lint_rules / sizeof lint_rules[0];

const rule_info *lint_rule(const char *id)
{
    for (size_t i = 0; i < lint_rule_count; i++)
        if (strcmp(lint_rules[i].id, id) == 0)
            return &lint_rules[i];
    return NULL;
}

bool lint_is_new(const lint_ctx *c, const PgQuery__RangeVar *rv)
{
    char *n = lint_relname(rv), *bare = rv && rv->relname ? lint_ident(rv->relname) : NULL;
    c->mem->oom |= !n || (rv && rv->relname && !bare);
    bool yes = n && (strvec_has(&c->created, n) || (bare && strvec_has(&c->created, bare)));
    free(n);
    free(bare);
    return yes;
}

const char *lint_str(const PgQuery__Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string ? n->string->sval : NULL;
}

void lint_strong_lock(lint_ctx *c, bool new_table, bool exclusive, const char *what)
{
    if (new_table)
        return;
    if (c->ddl_at == -1)
        c->ddl_at = c->stmt_at;
    if (c->lock_timeout_off)
        lint_add(c, "missing-lock-timeout", -1, "%s with lock_timeout disabled", what);
    if (!exclusive || c->m->d.no_transaction)
        return;
    /* a lock already held is not taken again: report each lock once */
    if (c->table && strvec_has(&c->locked, c->table))
        return;
    if (c->table)
        strvec_add(&c->locked, c->table);
    c->exclusive_at = c->stmt_at;
}

void check_create(lint_ctx *c, const PgQuery__CreateStmt *st)
{
    char *rel = lint_relname(st->relation);
    c->mem->oom |= !rel;
    if (!rel)
        return;
    strvec_add(&c->created, rel);
    for (size_t i = 0; i < st->n_table_elts; i++) {
        const PgQuery__Node *e = st->table_elts[i];
        if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
            remember_type(c, rel, e->column_def->colname, e->column_def->type_name);
    }
    free(rel);
}


void lint_statement(lint_ctx *c, const PgQuery__Node *n)
{
    bool passive = n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT ||
                   n->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT;
    if (c->exclusive_at >= 0 && !passive) {
        lint_add(c, "statement-after-exclusive-lock", -1,
                 "statement runs while the ACCESS EXCLUSIVE lock taken at line %d is held",
                 (int)lint_line(c, c->exclusive_at));
        c->exclusive_at = -1;
    }
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        check_alter_table(c, n->alter_table_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        check_create(c, n->create_stmt);
        break;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        check_index(c, n->index_stmt);
        break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        check_drop(c, n->drop_stmt);
        break;
    default:
        check_other(c, n);
    }
    if (c->ddl_at >= 0 && c->dml_at >= 0) {
        int32_t at = c->ddl_at > c->dml_at ? c->ddl_at : c->dml_at;
        c->stmt_at = at;
        lint_add(c, "schema-and-data-mixed", at, "schema change and data change in one migration");
        c->ddl_at = c->dml_at = -2;
    }
}
