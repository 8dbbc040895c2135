/* Private: the in-memory schema snapshot shared by the files of lib/schema. A
 * snapshot is a flat list of objects, each a kind ("table", "column", ...),
 * a quoted qualified name and ordered key/value properties. Keeping every
 * kind in the same shape lets one renderer, one reader and one diff serve
 * them all. */
#ifndef STRATA_SCHEMA_PRIV_H
#define STRATA_SCHEMA_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../internal.h"

typedef struct sch_prop {
    char *key;
    char *value;
} sch_prop;

typedef struct sch_obj {
    char *kind;
    char *name;
    sch_prop *props;
    size_t nprops, cap;
    /* Keyed snapshots only (change tracking, track.c), else 0 / none: the
     * oid the object is read back by and the oids its text depends on. */
    uint32_t key;
    uint32_t *refs;
    size_t nrefs;
} sch_obj;

struct strata_schema {
    sch_obj *objs;
    size_t n, cap;
};

/* model.c */
int sch_kind_rank(const char *kind);           /* -1: unknown kind */
sch_obj *sch_add_obj(strata_schema *sc, const char *kind, const char *name); /* NULL: OOM */
bool sch_add_prop(sch_obj *o, const char *key, const char *value);
const char *sch_prop_get(const sch_obj *o, const char *key);
/* The owning table of table-bound objects (columns, indexes, ...) or NULL. */
const char *sch_obj_table(const sch_obj *o);
long sch_obj_position(const sch_obj *o);       /* columns: 1-based, else 0 */
void sch_sort(strata_schema *sc);              /* display order */
/* Pointers to the objects sorted by (kind, name), for lookups; caller frees. */
const sch_obj **sch_index(const strata_schema *sc);
const sch_obj *sch_lookup(const sch_obj **idx, size_t n, const char *kind, const char *name);
int sch_cmp_key(const sch_obj *a, const sch_obj *b);

/* render.c (escape shared with the diff) */
void sch_escape_text(sbuf *b, const char *s);
void sch_escape_json(sbuf *b, const char *s);

/* parse.c */
int sch_parse_text(strata_schema *sc, const char *text, size_t len, sbuf *err);
int sch_parse_json(strata_schema *sc, const char *text, size_t len, sbuf *err);

/* snapshot.c: what the scratch check and roundtrip use internally. */
int sch_snapshot(strata *s, int32_t flags, strata_schema **out);
/* A snapshot whose objects carry their key and refs (SCH_KEYED), or only the
 * objects whose key is in @keys, an array literal "{oid,...}" (SCH_SUBSET,
 * through the statements SCH_PREPARE prepared on the connection, named
 * strata_rt_q<N>; SCH_PREPARE gives an empty snapshot). */
enum { SCH_PLAIN, SCH_KEYED, SCH_SUBSET, SCH_PREPARE };
int sch_snapshot_mode(strata *s, int mode, const char *keys, strata_schema **out);
/* The general form: @head, @nhead statements (each ending in ";\n"), runs
 * first in the same round trip and implicit transaction; the result of
 * the last is handed over in @head_result (the caller PQclear()s it).
 * @keys NULL: the head sets strata.snapshot_keys. */
typedef struct sch_read {
    int mode;
    const char *keys;
    const char *head;
    int nhead;
    PGresult *head_result;
} sch_read;
int sch_snapshot_read(strata *s, sch_read *rd, strata_schema **out);
/* Frees the strings of @o (not @o itself). */
void sch_obj_clear(sch_obj *o);
/* True when @sc holds only what a database fresh from template0 holds. */
bool sch_is_empty(const strata_schema *sc);

/* scratch.c: STRATA_OK, or STRATA_ENOTEMPTY naming what was found. */
int sch_check_empty(strata *s);

#endif
