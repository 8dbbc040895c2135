/* The pool of spare clones behind strata_testdb_create (testdb_pool.c).
 * Private. */
#ifndef STRATA_TESTDB_POOL_H
#define STRATA_TESTDB_POOL_H

#include <stdbool.h>

#include "internal.h"

/* A spare of the template "strata_tpl_<hex>" is
 * "strata_spr_<hex>_<slot>_<16 random hex>": the hash in its name is what
 * keeps a spare of one migration set from being handed out for another. */
#define TESTDB_SPARE_PREFIX "strata_spr_"
#define TESTDB_SPARES_MAX 16

/* Finishes the replacement spare in flight on @s's pool connection, if
 * any: waits for its CREATE DATABASE (a failed one left nothing) and frees
 * its slot. */
void testdb_pool_settle(strata *s);

/* Renames a ready spare of the template @hex to @name (metadata only).
 * *claimed is false when none could be taken (none ready, or each taken by
 * another process first): the caller clones instead. Fails only when the
 * admin connection does. */
int testdb_pool_claim(strata *s, const char *hex, const char *name, bool *claimed);

/* Starts one replacement spare of @tpl (whose hash is @hex) on the pool
 * connection, without waiting, in the first of the handle's slots nobody
 * holds or fills. Quiet: a failure only means no spare. */
void testdb_pool_refill(strata *s, const char *hex, const char *tpl);

/* Drops the spares whose template is gone (pruned); the count is not
 * reported (strata_testdb_prune counts templates and builds). */
int testdb_pool_prune(strata *s);

/* Closes the pool connection. A CREATE DATABASE in flight is abandoned to
 * the server, which finishes and commits it: a spare for the next user. */
void testdb_pool_close(strata *s);

#endif
