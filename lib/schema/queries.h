/* Private: the catalog queries of a snapshot (queries.c). */
#ifndef STRATA_SCHEMA_QUERIES_H
#define STRATA_SCHEMA_QUERIES_H

/* One catalog query per object kind. In @sql, "$P" is replaced by @priv
 * (owner and grant columns) when privileges are asked for, else removed;
 * "$H" by the history table's oid (NULL when it does not exist). The first
 * two columns are the object kind and its name; every other column is a
 * property named after the column, left out when NULL. */
typedef struct sch_query {
    const char *sql;
    const char *priv;
} sch_query;

extern const sch_query sch_queries[];
extern const int sch_nqueries;

#endif
