/* The catalog queries of a snapshot. Everything printed goes through the
 * server's own deparsers (format_type, pg_get_*def, pg_get_expr) with
 * search_path = pg_catalog, so names come out qualified and stable. Names are
 * quote_ident'ed parts joined by dots; no OID is ever printed. */
#include "queries.h"

/* user schemas only */
#define NS(n) \
    " " n ".nspname NOT IN ('pg_catalog', 'information_schema') AND " n ".nspname NOT LIKE 'pg\\_toast%' " \
    "AND " n ".nspname NOT LIKE 'pg\\_temp\\_%' "
/* not a member of an extension */
#define NOT_EXT(cls, oid) \
    " NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '" cls "'::regclass " \
    "AND x.objid = " oid " AND x.deptype = 'e') "
#define QN(n, c) "quote_ident(" n ".nspname) || '.' || quote_ident(" c ")"
/* a grant list other than the default for its owner (@kind: acldefault's
 * object type, an SQL expression): REVOKE ALL after a GRANT leaves the owner's default written
 * out, which is the same privileges as none written */
#define ACL(x, kind, owner) \
    "CASE WHEN " x " IS DISTINCT FROM acldefault(" kind ", " owner ") THEN (SELECT string_agg(a::text, " \
    "', ' ORDER BY a::text) FROM unnest(" x ") a) END"
#define COLL(oid) \
    "(SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co " \
    "JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = " oid ")"
/* a comment: an index lookup per row (obj_description is a SQL function
 * called per row, several times slower; a join is planned badly on catalogs
 * without statistics) */
#define DESC(cls, oid, sub) \
    "(SELECT ds.description FROM pg_description ds WHERE ds.objoid = " oid " AND ds.classoid = '" cls \
    "'::regclass AND ds.objsubid = " sub ")"
#define TBL "(SELECT " QN("tn", "tc.relname") " FROM pg_class tc JOIN pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = "
/* a tablespace other than the database's default (0) */
#define SPC(oid) "(SELECT quote_ident(ts.spcname) FROM pg_tablespace ts WHERE ts.oid = " oid ")"
#define STORAGE(x) \
    "CASE " x " WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external' WHEN 'm' THEN 'main' ELSE 'extended' END"
#define TYPE_PRIV ", pg_get_userbyid(t.typowner) AS owner, " ACL("t.typacl", "'T'", "t.typowner") " AS acl"
#define REL_ACL_KIND "CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\""
#define REL_PRIV \
    ", pg_get_userbyid(c.relowner) AS owner, " ACL("c.relacl", REL_ACL_KIND, "c.relowner") " AS acl"

const sch_query sch_queries[] = {
    {"SELECT 'schema', quote_ident(n.nspname), " DESC("pg_namespace", "n.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_namespace n WHERE" NS("n")
     "AND n.nspname IS DISTINCT FROM nullif(current_setting('strata.snapshot_hist_schema'), '')",
     ", pg_get_userbyid(n.nspowner) AS owner, " ACL("n.nspacl", "'n'", "n.nspowner") " AS acl",
     "n.oid", "ARRAY[]::oid[]"},

    {"SELECT 'extension', quote_ident(e.extname), e.extversion AS version, "
     "quote_ident(n.nspname) AS schema, " DESC("pg_extension", "e.oid", "0") " AS comment "
     "$K "
     "FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE true",
     "",
     "e.oid", "ARRAY[e.extnamespace]"},

    {"SELECT 'enum', " QN("n", "t.typname") ", (SELECT string_agg(quote_literal(e.enumlabel), ', ' "
     "ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels, "
     DESC("pg_type", "t.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND" NS("n")
     "AND" NOT_EXT("pg_type", "t.oid"),
     TYPE_PRIV,
     "t.oid", "ARRAY[t.typnamespace]"},

    {"SELECT 'domain', " QN("n", "t.typname") ", format_type(t.typbasetype, t.typtypmod) AS type, "
     "CASE WHEN t.typcollation <> b.typcollation THEN " COLL("t.typcollation") " END AS collation, "
     "t.typnotnull::text AS \"not null\", pg_get_expr(t.typdefaultbin, 0) AS default, "
     DESC("pg_type", "t.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_type t JOIN pg_type b ON b.oid = t.typbasetype JOIN pg_namespace n ON n.oid = t.typnamespace "
     "WHERE t.typtype = 'd' AND" NS("n") "AND" NOT_EXT("pg_type", "t.oid"),
     TYPE_PRIV,
     "t.oid", "ARRAY[t.typnamespace, t.typbasetype, t.typcollation]"},

    {"SELECT 'composite', " QN("n", "t.typname") ", (SELECT string_agg(quote_ident(a.attname) || ' ' || "
     "format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a "
     "WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attributes, "
     DESC("pg_type", "t.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' "
     "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE" NS("n") "AND" NOT_EXT("pg_type", "t.oid"),
     TYPE_PRIV,
     "t.oid", "ARRAY[t.typnamespace, t.typrelid]"},

    {"SELECT 'range', " QN("n", "t.typname") ", format_type(r.rngsubtype, NULL) AS subtype, "
     DESC("pg_type", "t.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_type t JOIN pg_range r ON r.rngtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
     "WHERE" NS("n") "AND" NOT_EXT("pg_type", "t.oid"),
     TYPE_PRIV,
     "t.oid", "ARRAY[t.typnamespace, r.rngsubtype]"},

    {"SELECT 'sequence', " QN("n", "c.relname") ", format_type(s.seqtypid, NULL) AS type, "
     "s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, "
     "s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle::text AS cycle, "
     "(SELECT " QN("tn", "tc.relname") " || '.' || quote_ident(a.attname) FROM pg_depend d "
     "JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace "
     "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
     "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass "
     "AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 LIMIT 1) AS \"owned by\", "
     DESC("pg_class", "c.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace "
     "WHERE" NS("n") "AND" NOT_EXT("pg_class", "c.oid")
     "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
     "AND d.objid = c.oid AND d.refobjid IS NOT DISTINCT FROM $H)",
     REL_PRIV,
     "c.oid", "ARRAY[c.relnamespace] || ARRAY(SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid)"},

    {"SELECT 'table', " QN("n", "c.relname") ", CASE c.relkind WHEN 'p' THEN 'partitioned' "
     "WHEN 'f' THEN 'foreign' ELSE 'ordinary' END AS type, CASE c.relpersistence WHEN 'u' THEN 'unlogged' "
     "WHEN 't' THEN 'temporary' ELSE 'permanent' END AS persistence, "
     "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS \"partition by\", "
     "CASE WHEN c.relispartition THEN " TBL "(SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid)) "
     "END AS \"partition of\", "
     "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS \"partition bound\", "
     "CASE WHEN NOT c.relispartition THEN (SELECT string_agg(" QN("pn", "pc.relname") ", ', ' "
     "ORDER BY i.inhseqno) FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent "
     "JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) END AS inherits, "
     "c.relrowsecurity::text AS \"row security\", c.relforcerowsecurity::text AS \"force row security\", "
     "CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full' "
     "ELSE 'index' END AS \"replica identity\", "
     "(SELECT string_agg(o, ', ' ORDER BY o) FROM unnest(c.reloptions) o) AS options, "
     "CASE WHEN c.reltoastrelid <> 0 THEN (SELECT string_agg('toast.' || o, ', ' ORDER BY o) "
     "FROM pg_class tt, unnest(tt.reloptions) o WHERE tt.oid = c.reltoastrelid) END AS \"toast options\", "
     "CASE WHEN c.relam <> 0 THEN (SELECT quote_ident(am.amname) FROM pg_am am WHERE am.oid = c.relam "
     "AND am.amname <> 'heap') END AS \"access method\", "
     "CASE WHEN c.reltablespace <> 0 THEN " SPC("c.reltablespace") " END AS tablespace, "
     DESC("pg_class", "c.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'f') "
     "AND" NS("n") "AND c.oid IS DISTINCT FROM $H AND" NOT_EXT("pg_class", "c.oid"),
     REL_PRIV,
     "c.oid", "ARRAY[c.relnamespace] || ARRAY(SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid)"},

    {"SELECT 'column', " QN("n", "c.relname") " || '.' || quote_ident(a.attname), "
     QN("n", "c.relname") " AS table, "
     "row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)::text AS position, "
     "format_type(a.atttypid, a.atttypmod) AS type, "
     "CASE WHEN a.attcollation <> t.typcollation THEN " COLL("a.attcollation") " END AS collation, "
     "a.attnotnull::text AS \"not null\", "
     "CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default, "
     "CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity, "
     "CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated, "
     "NULLIF(a.attstattarget, -1)::text AS statistics, "
     "CASE WHEN a.attstorage <> t.typstorage THEN " STORAGE("a.attstorage") " END AS storage, "
     "CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression, "
     "CASE WHEN a.attoptions IS NOT NULL THEN "
     "(SELECT string_agg(o, ', ' ORDER BY o) FROM unnest(a.attoptions) o) END AS options, "
     DESC("pg_class", "c.oid", "a.attnum") " AS comment $P "
     "$K "
     "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
     "JOIN pg_type t ON t.oid = a.atttypid "
     "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
     "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') "
     "AND" NS("n") "AND c.oid IS DISTINCT FROM $H AND" NOT_EXT("pg_class", "c.oid"),
     ", " ACL("a.attacl", "'c'", "c.relowner") " AS acl",
     "c.oid", "ARRAY[c.relnamespace, a.atttypid, a.attcollation, d.oid]"},

    {"SELECT 'constraint', coalesce(" QN("tn", "tc.relname") ", " QN("n", "ty.typname") ") || '.' || "
     "quote_ident(co.conname), " QN("tn", "tc.relname") " AS table, "
     "CASE WHEN co.contypid <> 0 THEN " QN("n", "ty.typname") " END AS domain, "
     "CASE co.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key' "
     "WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' WHEN 't' THEN 'trigger' ELSE co.contype::text END AS type, "
     "pg_get_constraintdef(co.oid) AS definition, co.convalidated::text AS validated, "
     "co.condeferrable::text AS deferrable, co.condeferred::text AS deferred, "
     DESC("pg_constraint", "co.oid", "0") " AS comment "
     "$K "
     "FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace "
     "LEFT JOIN pg_type ty ON ty.oid = co.contypid LEFT JOIN pg_class tc ON tc.oid = co.conrelid "
     "LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace "
     "WHERE" NS("n") "AND co.conrelid IS DISTINCT FROM $H "
     "AND (co.conrelid <> 0 OR co.contypid <> 0) "
     "AND" NOT_EXT("pg_class", "co.conrelid") "AND" NOT_EXT("pg_type", "co.contypid"),
     "",
     "co.oid", "ARRAY[co.connamespace, co.conrelid, co.contypid, co.confrelid, co.conindid, tc.relnamespace]"},

    {"SELECT 'index', " QN("n", "ic.relname") ", " QN("tn", "tc.relname") " AS table, "
     "pg_get_indexdef(i.indexrelid) AS definition, i.indisunique::text AS unique, "
     "i.indisprimary::text AS primary, i.indisvalid::text AS valid, "
     "(i.indpred IS NOT NULL)::text AS partial, i.indisreplident::text AS \"replica identity\", "
     "CASE WHEN ic.reltablespace <> 0 THEN " SPC("ic.reltablespace") " END AS tablespace, "
     /* only an expression column takes a statistics target */
     "CASE WHEN i.indexprs IS NOT NULL THEN (SELECT string_agg(a.attnum || ' ' || a.attstattarget, ', ' "
     "ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = ic.oid AND a.attstattarget <> -1) END "
     "AS \"column statistics\", "
     "CASE WHEN i.indisclustered THEN 'true' END AS clustered, "
     DESC("pg_class", "ic.oid", "0") " AS comment "
     "$K "
     "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
     "JOIN pg_namespace n ON n.oid = ic.relnamespace JOIN pg_class tc ON tc.oid = i.indrelid "
     "JOIN pg_namespace tn ON tn.oid = tc.relnamespace "
     "WHERE" NS("n") "AND i.indrelid IS DISTINCT FROM $H AND" NOT_EXT("pg_class", "i.indrelid"),
     "",
     "i.indexrelid", "ARRAY[ic.relnamespace, i.indrelid, tc.relnamespace]"},

    {"SELECT 'trigger', " TBL "t.tgrelid) || '.' || quote_ident(t.tgname), " TBL "t.tgrelid) AS table, "
     "pg_get_triggerdef(t.oid) AS definition, CASE t.tgenabled WHEN 'O' THEN 'enabled' "
     "WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END AS enabled, "
     DESC("pg_trigger", "t.oid", "0") " AS comment "
     "$K "
     "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
     "WHERE NOT t.tgisinternal AND" NS("n") "AND t.tgrelid IS DISTINCT FROM $H "
     "AND" NOT_EXT("pg_class", "t.tgrelid"),
     "",
     "t.oid", "ARRAY[c.relnamespace, t.tgrelid, t.tgfoid]"},

    /* rules other than a view's _RETURN (its definition is the view's) */
    {"SELECT 'rule', " TBL "r.ev_class) || '.' || quote_ident(r.rulename), " TBL "r.ev_class) AS table, "
     "pg_get_ruledef(r.oid) AS definition, CASE r.ev_enabled WHEN 'O' THEN 'enabled' "
     "WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END AS enabled, "
     DESC("pg_rewrite", "r.oid", "0") " AS comment "
     "$K "
     "FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace "
     "WHERE NOT (r.rulename = '_RETURN' AND c.relkind IN ('v', 'm')) AND" NS("n")
     "AND r.ev_class IS DISTINCT FROM $H AND" NOT_EXT("pg_class", "r.ev_class"),
     "",
     "r.oid", "ARRAY[c.relnamespace, r.ev_class]"},

    {"SELECT 'statistics', " QN("n", "s.stxname") ", " TBL "s.stxrelid) AS table, "
     "pg_get_statisticsobjdef(s.oid) AS definition, "
     "NULLIF(s.stxstattarget, -1)::text AS \"statistics target\", "
     DESC("pg_statistic_ext", "s.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace "
     "JOIN pg_class c ON c.oid = s.stxrelid WHERE" NS("n")
     "AND s.stxrelid IS DISTINCT FROM $H AND" NOT_EXT("pg_statistic_ext", "s.oid"),
     ", pg_get_userbyid(s.stxowner) AS owner",
     "s.oid", "ARRAY[s.stxnamespace, s.stxrelid, c.relnamespace]"},

    {"SELECT 'policy', " TBL "p.polrelid) || '.' || quote_ident(p.polname), " TBL "p.polrelid) AS table, "
     "CASE p.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update' "
     "WHEN 'd' THEN 'delete' ELSE 'all' END AS command, p.polpermissive::text AS permissive, "
     "(SELECT string_agg(r, ', ' ORDER BY r) FROM (SELECT CASE WHEN o = 0 THEN 'public' "
     "ELSE quote_ident(pg_get_userbyid(o)) END AS r FROM unnest(p.polroles) o) rs) AS roles, "
     "pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS \"with check\", "
     DESC("pg_policy", "p.oid", "0") " AS comment "
     "$K "
     "FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
     "WHERE" NS("n") "AND p.polrelid IS DISTINCT FROM $H",
     "",
     "p.oid", "ARRAY[c.relnamespace, p.polrelid]"},

    {"SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, " QN("n", "c.relname") ", "
     "pg_get_viewdef(c.oid) AS definition, "
     "(SELECT string_agg(o, ', ' ORDER BY o) FROM unnest(c.reloptions) o) AS options, "
     "CASE WHEN c.reltablespace <> 0 THEN " SPC("c.reltablespace") " END AS tablespace, "
     DESC("pg_class", "c.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') "
     "AND" NS("n") "AND" NOT_EXT("pg_class", "c.oid"),
     REL_PRIV,
     "c.oid", "ARRAY[c.relnamespace]"},

    {"SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, " QN("n", "p.proname")
     " || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
     "pg_get_functiondef(p.oid) AS definition, " DESC("pg_proc", "p.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind <> 'a' "
     "AND" NS("n") "AND" NOT_EXT("pg_proc", "p.oid"),
     ", pg_get_userbyid(p.proowner) AS owner, " ACL("p.proacl", "'f'", "p.proowner") " AS acl",
     "p.oid", "ARRAY[p.pronamespace]"},

    {"SELECT 'aggregate', " QN("n", "p.proname") " || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
     "g.aggtransfn::regprocedure::text AS \"state function\", format_type(g.aggtranstype, NULL) AS \"state type\", "
     "NULLIF(g.aggfinalfn, 0)::regprocedure::text AS \"final function\", "
     "NULLIF(g.aggcombinefn, 0)::regprocedure::text AS \"combine function\", g.agginitval AS \"initial value\", "
     "g.aggkind::text AS \"aggregate kind\", " DESC("pg_proc", "p.oid", "0") " AS comment $P "
     "$K "
     "FROM pg_proc p JOIN pg_aggregate g ON g.aggfnoid = p.oid JOIN pg_namespace n ON n.oid = p.pronamespace "
     "WHERE" NS("n") "AND" NOT_EXT("pg_proc", "p.oid"),
     ", pg_get_userbyid(p.proowner) AS owner, " ACL("p.proacl", "'f'", "p.proowner") " AS acl",
     "p.oid", "ARRAY[p.pronamespace, g.aggtransfn, g.aggfinalfn, g.aggcombinefn]"},
};

const int sch_nqueries = (int)(sizeof sch_queries / sizeof sch_queries[0]);
