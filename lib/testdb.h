/* Test databases cloned from a migrated template (testdb.c). Private. */
#ifndef STRATA_TESTDB_H
#define STRATA_TESTDB_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* Database name prefixes. A template is "strata_tpl_<16 hex>" (the hash of
 * the migration set); while it is built it is "strata_tpb_<same hex>", and it
 * is renamed only when complete; clones are "strata_test_<8 hex>_<16 hex>"
 * (spares, testdb_pool.h, are renamed to such a name when claimed). */
#define TESTDB_TPL_PREFIX "strata_tpl_"
#define TESTDB_BUILD_PREFIX "strata_tpb_"
#define TESTDB_CLONE_PREFIX "strata_test_"
#define TESTDB_HASH_HEX 16
#define TESTDB_NAME_MAX 63 /* PostgreSQL's NAMEDATALEN - 1 */

/* The 16 hex digits naming the template of @s's migration set (versions,
 * checksums and the history table they are recorded in). */
int testdb_set_hash(strata *s, char hex[TESTDB_HASH_HEX + 1]);

/* The advisory lock key guarding the build of the template @hex names. */
int64_t testdb_lock_key(const char *hex);

/* "postgresql://user@host:port/db" for @db on the server of @s's connection;
 * never a password. NULL when out of memory. */
char *testdb_uri(strata *s, const char *db);

/* DROP DATABASE IF EXISTS @name (a template is unmarked first), WITH (FORCE)
 * on PostgreSQL 13 and later. */
int testdb_drop_db(strata *s, const char *name, bool is_template);

#endif
