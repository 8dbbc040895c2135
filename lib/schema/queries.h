/* Private: the catalog queries of a snapshot (queries.c). */
#ifndef STRATA_SCHEMA_QUERIES_H
#define STRATA_SCHEMA_QUERIES_H

/* One catalog query per object kind. In @sql, "$P" is replaced by @priv
 * (owner and grant columns) when privileges are asked for, else removed;
 * "$K" as described below, "$H" by the history table's oid (NULL when it does not exist). The first
 * two columns are the object kind and its name; every other column is a
 * property named after the column, left out when NULL. */
typedef struct sch_query {
    const char *sql;
    const char *priv;
    /* For the change tracking of a roundtrip (track.c): "$K" becomes
     * "@key AS _key, @refs AS _refs", the object's own oid (a table's for its
     * columns) and the oids its text is printed from (schema, table, type,
     * parent...); a subset read adds "AND @key = ANY(keys)". */
    const char *key;
    const char *refs;
} sch_query;

extern const sch_query sch_queries[];
extern const int sch_nqueries;

#endif
