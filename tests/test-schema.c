/* Schema snapshots, diff, the rollback proof and drift (issue 12). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

const bool test_needs_pg = true;

static void fresh_db(void)
{
    test_db_new();
}

/* Every object kind of a snapshot, with hostile names. */
static const char *const rich_schema =
    "CREATE EXTENSION citext;\n"
    "CREATE SCHEMA \"App Schema\";\n"
    "COMMENT ON SCHEMA \"App Schema\" IS 'the app''s schema';\n"
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy, really');\n"
    "CREATE DOMAIN email AS citext NOT NULL DEFAULT 'x@y' CHECK (VALUE ~ '@');\n"
    "CREATE TYPE pair AS (a integer, b text);\n"
    "CREATE TYPE floatrange AS RANGE (subtype = float8);\n"
    "CREATE SEQUENCE counter AS integer START 5 INCREMENT 2 MAXVALUE 1000 CYCLE;\n"
    "CREATE TABLE users (\n"
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  email character varying(255) NOT NULL,\n"
    "  name text COLLATE \"C\" DEFAULT 'anon',\n"
    "  \"Mixed Case\" integer GENERATED ALWAYS AS (id * 2) STORED,\n"
    "  \"ünïcode\" mood,\n"
    "  created date DEFAULT '2020-01-02'\n"
    ");\n"
    "COMMENT ON COLUMN users.email IS E'line one\\nline two\\f';\n"
    "CREATE UNIQUE INDEX users_email_idx ON users (lower(email)) WHERE id > 0;\n"
    "CREATE TABLE \"App Schema\".orders (id serial, user_id bigint REFERENCES users DEFERRABLE INITIALLY DEFERRED,\n"
    "  total numeric(10,2)) WITH (fillfactor = 70);\n"
    "ALTER TABLE \"App Schema\".orders ADD CONSTRAINT orders_total_check CHECK (total > 0) NOT VALID;\n"
    "CREATE UNLOGGED TABLE cache (k text);\n"
    "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
    "CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n"
    "CREATE TABLE parent (a int); CREATE TABLE child (b int) INHERITS (parent);\n"
    "CREATE VIEW active_users AS SELECT id, email FROM users WHERE id > 0;\n"
    "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;\n"
    "CREATE FUNCTION f(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x + 1';\n"
    "CREATE PROCEDURE p(INOUT x integer) LANGUAGE plpgsql AS $$BEGIN x := x * 2; END$$;\n"
    "CREATE AGGREGATE sum2(integer) (sfunc = int4pl, stype = integer, initcond = '0');\n"
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
    "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n"
    "ALTER TABLE users DISABLE TRIGGER users_touch;\n"
    "ALTER TABLE users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\n"
    "CREATE POLICY own ON users FOR SELECT USING (id > 0);\n"
    "ALTER TABLE cache REPLICA IDENTITY FULL;\n"
    "CREATE RULE \"No Delete\" AS ON DELETE TO cache DO INSTEAD NOTHING;\n"
    "CREATE STATISTICS \"App Schema\".\"Stats ü\" (ndistinct, dependencies) ON id, user_id "
    "FROM \"App Schema\".orders;\n"
    "ALTER STATISTICS \"App Schema\".\"Stats ü\" SET STATISTICS 200;\n"
    "ALTER TABLE users ALTER created SET STATISTICS 500, ALTER name SET STORAGE MAIN, "
    "ALTER name SET COMPRESSION pglz, ALTER created SET (n_distinct = -0.5, n_distinct_inherited = 10), "
    "SET (toast.autovacuum_enabled = off, autovacuum_vacuum_scale_factor = 0.01);\n"
    "CREATE INDEX cache_k ON cache (k) WITH (fillfactor = 40);\n"
    "ALTER INDEX users_email_idx ALTER COLUMN 1 SET STATISTICS 300;\n"
    "ALTER TABLE cache CLUSTER ON cache_k;\n";

static char *render(const strata_schema *sc, int32_t format)
{
    char *t = NULL;
    ck_assert_int_eq(strata_schema_render(sc, format, &t), STRATA_OK);
    return t;
}

static strata_schema *snap(strata *s)
{
    strata_schema *sc = NULL;
    int rc = strata_schema_snapshot(s, 0, &sc);
    ck_assert_msg(rc == STRATA_OK, "snapshot: %d %s", rc, strata_errmsg(s));
    return sc;
}

static char *snap_text(void)
{
    strata *s = test_open();
    strata_schema *sc = snap(s);
    char *t = render(sc, STRATA_FORMAT_TEXT);
    strata_schema_free(sc);
    strata_close(s);
    return t;
}

/* check's messages are short: the needle, and the start of the text */
static void assert_has(const char *hay, const char *needle)
{
    ck_assert_msg(strstr(hay, needle) != NULL, "expected \"%s\" in:\n%.1500s", needle, hay);
}

static char *diff_text(const strata_schema *a, const strata_schema *b)
{
    strata_diff *d = NULL;
    char *t = NULL;
    ck_assert_int_eq(strata_schema_diff(a, b, &d), STRATA_OK);
    ck_assert_int_eq(strata_schema_diff_render(d, STRATA_FORMAT_TEXT, &t), STRATA_OK);
    strata_schema_diff_free(d);
    return t;
}

START_TEST(snapshot_lists_every_kind)
{
    test_sql(rich_schema);
    char *t = snap_text();
    static const char *const expect[] = {
        "schema \"App Schema\"\n\tcomment: the app's schema\n",
        "extension citext\n\tversion: ",
        "enum public.mood\n\tlabels: 'sad', 'ok', 'happy, really'\n",
        "domain public.email\n\ttype: public.citext\n\tnot null: true\n\tdefault: 'x@y'::public.citext\n",
        "constraint public.email.email_check\n\tdomain: public.email\n\ttype: check\n",
        "composite public.pair\n\tattributes: a integer, b text\n",
        "range public.floatrange\n\tsubtype: double precision\n",
        "sequence public.counter\n\ttype: integer\n\tstart: 5\n\tincrement: 2\n\tmin: 1\n\tmax: 1000\n"
        "\tcache: 1\n\tcycle: true\n",
        "sequence public.users_id_seq\n\ttype: bigint\n",
        "\towned by: public.users.id\n",
        "table public.users\n\ttype: ordinary\n\tpersistence: permanent\n\trow security: true\n"
        "\tforce row security: true\n\treplica identity: default\n",
        "column public.users.id\n\ttable: public.users\n\tposition: 1\n\ttype: bigint\n\tnot null: true\n"
        "\tidentity: always\n",
        "column public.users.email\n\ttable: public.users\n\tposition: 2\n\ttype: character varying(255)\n"
        "\tnot null: true\n\tcomment: line one\\nline two\\x0c\n",
        "column public.users.name\n\ttable: public.users\n\tposition: 3\n\ttype: text\n"
        "\tcollation: pg_catalog.\"C\"\n\tnot null: false\n\tdefault: 'anon'::text\n",
        "column public.users.\"Mixed Case\"\n\ttable: public.users\n\tposition: 4\n\ttype: integer\n"
        "\tnot null: false\n\tgenerated: (id * 2)\n",
        "column public.users.\"ünïcode\"\n\ttable: public.users\n\tposition: 5\n\ttype: public.mood\n",
        "\tdefault: '2020-01-02'::date\n",
        "constraint public.users.users_pkey\n\ttable: public.users\n\ttype: primary key\n"
        "\tdefinition: PRIMARY KEY (id)\n\tvalidated: true\n\tdeferrable: false\n",
        "index public.users_email_idx\n\ttable: public.users\n\tdefinition: CREATE UNIQUE INDEX "
        "users_email_idx ON public.users USING btree (lower((email)::text)) WHERE (id > 0)\n"
        "\tunique: true\n\tprimary: false\n\tvalid: true\n\tpartial: true\n",
        "trigger public.users.users_touch\n\ttable: public.users\n\tdefinition: CREATE TRIGGER users_touch "
        "BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch()\n\tenabled: disabled\n",
        "policy public.users.own\n\ttable: public.users\n\tcommand: select\n\tpermissive: true\n"
        "\troles: public\n\tusing: (id > 0)\n",
        "table \"App Schema\".orders\n\ttype: ordinary\n",
        "\toptions: fillfactor=70\n",
        "constraint \"App Schema\".orders.orders_total_check\n\ttable: \"App Schema\".orders\n\ttype: check\n"
        "\tdefinition: CHECK ((total > (0)::numeric)) NOT VALID\n\tvalidated: false\n",
        "\tdefinition: FOREIGN KEY (user_id) REFERENCES public.users(id) DEFERRABLE INITIALLY DEFERRED\n"
        "\tvalidated: true\n\tdeferrable: true\n\tdeferred: true\n",
        "table public.cache\n\ttype: ordinary\n\tpersistence: unlogged\n",
        "\treplica identity: full\n",
        "table public.events\n\ttype: partitioned\n\tpersistence: permanent\n\tpartition by: RANGE (at)\n",
        "table public.events_2020\n\ttype: ordinary\n\tpersistence: permanent\n\tpartition of: public.events\n"
        "\tpartition bound: FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')\n",
        "table public.child\n\ttype: ordinary\n\tpersistence: permanent\n\tinherits: public.parent\n",
        "view public.active_users\n\tdefinition:  SELECT users.id,\\n",
        "materialized view public.user_count\n\tdefinition: ",
        "function public.f(x integer)\n\tdefinition: CREATE OR REPLACE FUNCTION public.f(x integer)\\n",
        "procedure public.p(INOUT x integer)\n\tdefinition: CREATE OR REPLACE PROCEDURE public.p(INOUT x integer)",
        "aggregate public.sum2(integer)\n\tstate function: int4pl(integer,integer)\n\tstate type: integer\n",
        "function public.touch()\n",
        "rule public.cache.\"No Delete\"\n\ttable: public.cache\n\tdefinition: CREATE RULE \"No Delete\" AS\\n"
        "    ON DELETE TO public.cache DO INSTEAD NOTHING;\n\tenabled: enabled\n",
        "statistics \"App Schema\".\"Stats ü\"\n\ttable: \"App Schema\".orders\n\tdefinition: CREATE STATISTICS "
        "\"App Schema\".\"Stats ü\" (ndistinct, dependencies) ON id, user_id FROM \"App Schema\".orders\n"
        "\tstatistics target: 200\n",
        "\tdefault: '2020-01-02'::date\n\tstatistics: 500\n\toptions: n_distinct=-0.5, n_distinct_inherited=10\n",
        "\tdefault: 'anon'::text\n\tstorage: main\n\tcompression: pglz\n",
        "\toptions: autovacuum_vacuum_scale_factor=0.01\n\ttoast options: toast.autovacuum_enabled=off\n",
        "USING btree (k) WITH (fillfactor='40')\n",
        "\treplica identity: false\n\tcolumn statistics: 1 300\n",
        "USING btree (k) WITH (fillfactor='40')\n\tunique: false\n\tprimary: false\n\tvalid: true\n"
        "\tpartial: false\n\treplica identity: false\n\tclustered: true\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        assert_has(t, expect[i]);
    /* extension members, the history table and system schemas stay out */
    ck_assert_ptr_null(strstr(t, "citextin"));
    ck_assert_ptr_null(strstr(t, "pg_catalog.pg_"));
    ck_assert_ptr_null(strstr(t, "information_schema"));
    ck_assert_ptr_null(strstr(t, "strata_history"));
    /* no OIDs: nothing that looks like one */
    ck_assert_ptr_null(strstr(t, "oid"));
    free(t);
}
END_TEST

START_TEST(history_table_excluded)
{
    strata_migration_def m = {1, "one", "CREATE TABLE t (id int);", "DROP TABLE t;"};
    strata *s = test_open();
    ck_assert_int_eq(strata_set_history_table(s, "Hist Schema.My History"), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_schema *sc = snap(s);
    char *t = render(sc, STRATA_FORMAT_TEXT);
    assert_has(t, "table public.t\n");
    ck_assert_msg(strstr(t, "History") == NULL && strstr(t, "Hist Schema") == NULL, "%s", t);
    free(t);
    strata_schema_free(sc);
    /* the default name in the current schema too */
    strata_close(s);
    s = test_open();
    m.up_sql = "CREATE TABLE t2 (id int);";
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    test_sql("CREATE TABLE strata_history_not (id int)");
    sc = snap(s);
    t = render(sc, STRATA_FORMAT_TEXT);
    ck_assert_ptr_null(strstr(t, "strata_history\n"));
    ck_assert_ptr_null(strstr(t, "strata_history_pkey"));
    assert_has(t, "table public.strata_history_not\n");
    free(t);
    strata_schema_free(sc);
    strata_close(s);
}
END_TEST

/* The same schema built in two orders, and with dropped columns and
 * objects created and dropped between: the same bytes. */
START_TEST(snapshot_is_deterministic)
{
    test_sql("CREATE TABLE b (x int, y text); CREATE TABLE a (id int PRIMARY KEY);"
             "CREATE INDEX b_x ON b (x); CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1';"
             "CREATE TYPE e AS ENUM ('one', 'two'); ALTER TABLE b ADD COLUMN z e;");
    char *one = snap_text();
    test_db_new();
    test_sql("CREATE TYPE e AS ENUM ('one', 'two'); CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1';"
             "CREATE TABLE junk (q int); CREATE TABLE a (id int PRIMARY KEY);"
             "CREATE TABLE b (dropped int, x int, y text, z e); ALTER TABLE b DROP COLUMN dropped;"
             "DROP TABLE junk; CREATE INDEX b_x ON b (x);");
    char *two = snap_text();
    ck_assert_str_eq(one, two);
    /* and a second snapshot of the same database */
    char *again = snap_text();
    ck_assert_str_eq(two, again);
    free(one);
    free(two);
    free(again);
}
END_TEST

/* The connection's settings do not leak into the text: search_path (names
 * come out qualified), DateStyle (date defaults). */
START_TEST(snapshot_ignores_session_settings)
{
    char dsn[1024];
    strata *s = NULL;
    test_sql("CREATE SCHEMA other; CREATE TYPE other.color AS ENUM ('red');"
             "CREATE TABLE other.t (c other.color, d date DEFAULT '2020-01-31', i interval DEFAULT '1 day');"
             "CREATE FUNCTION other.f() RETURNS other.color LANGUAGE sql AS $$SELECT 'red'::other.color$$");
    char *plain = snap_text();
    snprintf(dsn, sizeof dsn, "%s options='-c search_path=other,public -c DateStyle=SQL,DMY "
             "-c IntervalStyle=iso_8601'", test_db_current());
    ck_assert_int_eq(strata_open(&s, dsn), STRATA_OK);
    strata_schema *sc = snap(s);
    char *t = render(sc, STRATA_FORMAT_TEXT);
    ck_assert_str_eq(plain, t);
    assert_has(t, "\ttype: other.color\n");
    assert_has(t, "\tdefault: '2020-01-31'::date\n");
    free(plain);
    free(t);
    strata_schema_free(sc);
    strata_close(s);
}
END_TEST

START_TEST(render_reads_back)
{
    test_sql(rich_schema);
    strata *s = test_open();
    strata_schema *sc = snap(s), *back = NULL;
    for (int32_t f = STRATA_FORMAT_TEXT; f <= STRATA_FORMAT_JSON; f++) {
        char *t = render(sc, f), *t2, err[256] = "";
        int rc = strata_schema_from_text(&back, t, strlen(t), err, sizeof err);
        ck_assert_msg(rc == STRATA_OK, "format %d: %s", (int)f, err);
        ck_assert_uint_eq(strata_schema_count(back), strata_schema_count(sc));
        t2 = render(back, f);
        ck_assert_str_eq(t, t2);
        strata_diff *d = NULL;
        ck_assert_int_eq(strata_schema_diff(sc, back, &d), STRATA_OK);
        ck_assert_uint_eq(strata_schema_diff_count(d), 0);
        strata_schema_diff_free(d);
        strata_schema_free(back);
        free(t);
        free(t2);
    }
    strata_schema_free(sc);
    strata_close(s);
}
END_TEST

START_TEST(from_text_rejects_bad_input)
{
    static const struct {
        const char *text;
        const char *error;
    } bad[] = {
        {"# strata schema 1\ntable public.t\n\tpersistence permanent\n", "line 3: expected"},
        {"\tkey: v\n", "line 1: a property before any object"},
        {"tabel public.t\n", "line 1: expected \"KIND NAME\""},
        {"table public.t\n\tcomment: bad \\q escape\n", "line 2: bad escape"},
        {"table \n", "line 1: expected"},
        {"{\"objects\": [{\"kind\": \"table\"}]}", "line 1: an object needs"},
        {"{\"objects\": [\n{\"kind\": \"table\", \"name\": \"t\", \"props\": {\"a\": 1}}]}", "line 2: expected a string"},
        {"{\"objects\": []", "expected"},
        {"{\"format\": \"x\"}", "no \"objects\" array"},
        {"{\"objects\": [{\"kind\": \"table\", \"name\": \"t\\u0000\"}]}", "bad character or escape"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strata_schema *sc = NULL;
        char err[256] = "";
        int rc = strata_schema_from_text(&sc, bad[i].text, strlen(bad[i].text), err, sizeof err);
        ck_assert_msg(rc == STRATA_EPARSE, "case %zu: rc %d", i, rc);
        ck_assert_ptr_null(sc);
        ck_assert_msg(strstr(err, bad[i].error), "case %zu: \"%s\"", i, err);
    }
    /* empty input is an empty schema; CRLF and blank lines are fine;
     * JSON escapes decode */
    strata_schema *sc = NULL;
    ck_assert_int_eq(strata_schema_from_text(&sc, "", 0, NULL, 0), STRATA_OK);
    ck_assert_uint_eq(strata_schema_count(sc), 0);
    strata_schema_free(sc);
    const char *crlf = "table public.t\r\n\tcomment: x\r\n\r\ncolumn public.t.a\r\n\tposition: 1\r\n";
    ck_assert_int_eq(strata_schema_from_text(&sc, crlf, strlen(crlf), NULL, 0), STRATA_OK);
    ck_assert_uint_eq(strata_schema_count(sc), 2);
    strata_schema_free(sc);
    const char *js = "{\"objects\": [{\"props\": {\"comment\": \"\\u00e9\\ud83d\\ude00\\n\"}, "
                     "\"name\": \"public.t\", \"kind\": \"table\", \"extra\": [1, {\"x\": null}]}]}";
    ck_assert_int_eq(strata_schema_from_text(&sc, js, strlen(js), NULL, 0), STRATA_OK);
    char *t = render(sc, STRATA_FORMAT_TEXT);
    ck_assert_str_eq(t, "# strata schema 1\ntable public.t\n\tcomment: \xc3\xa9\xf0\x9f\x98\x80\\n\n");
    free(t);
    strata_schema_free(sc);
    ck_assert_int_eq(strata_schema_from_text(NULL, "", 0, NULL, 0), STRATA_EINVAL);
}
END_TEST

START_TEST(diff_names_objects)
{
    test_sql("CREATE TABLE users (id int, email varchar(255) NOT NULL, note text);"
             "CREATE INDEX users_email_idx ON users (email);"
             "CREATE FUNCTION f(integer) RETURNS int LANGUAGE sql AS 'SELECT 1\n+ 1';");
    strata *s = test_open();
    strata_schema *a = snap(s);
    test_sql("DROP INDEX users_email_idx; ALTER TABLE users ALTER email TYPE text, ALTER email DROP NOT NULL;"
             "CREATE OR REPLACE FUNCTION f(integer) RETURNS int LANGUAGE sql AS 'SELECT 1\n+ 2';"
             "CREATE FUNCTION f(text) RETURNS int LANGUAGE sql AS 'SELECT 1';");
    strata_schema *b = snap(s);
    char *t = diff_text(a, b);
    assert_has(t, "~ column public.users.email: type character varying(255) -> text\n");
    assert_has(t, "~ column public.users.email: not null true -> false\n");
    assert_has(t, "- index public.users_email_idx\n");
    assert_has(t, "+ function public.f(text)\n");
    assert_has(t, "~ function public.f(integer): definition differs at line 5: + 1$function$ -> + 2$function$\n");
    free(t);
    /* JSON */
    strata_diff *d = NULL;
    char *j = NULL;
    ck_assert_int_eq(strata_schema_diff(a, b, &d), STRATA_OK);
    ck_assert_int_eq(strata_schema_diff_only_column_order(d), 0);
    ck_assert_int_eq(strata_schema_diff_render(d, STRATA_FORMAT_JSON, &j), STRATA_OK);
    assert_has(j, "{\"change\": \"removed\", \"object\": \"index\", \"name\": \"public.users_email_idx\"}");
    assert_has(j, "{\"change\": \"changed\", \"object\": \"column\", \"name\": \"public.users.email\", "
                  "\"detail\": \"type character varying(255) -> text\"}");
    const strata_schema_change *c = strata_schema_diff_get(d, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(strata_schema_diff_get(d, strata_schema_diff_count(d)));
    strata_free(j);
    strata_schema_diff_free(d);
    /* the same snapshot: no change */
    ck_assert_int_eq(strata_schema_diff(b, b, &d), STRATA_OK);
    ck_assert_uint_eq(strata_schema_diff_count(d), 0);
    strata_schema_diff_free(d);
    strata_schema_free(a);
    strata_schema_free(b);
    strata_close(s);
}
END_TEST

START_TEST(diff_column_order_is_its_own_kind)
{
    test_sql("CREATE TABLE t (a int, b text, c date)");
    strata *s = test_open();
    strata_schema *x = snap(s);
    test_sql("ALTER TABLE t DROP COLUMN b; ALTER TABLE t ADD COLUMN b text");
    strata_schema *y = snap(s);
    strata_diff *d = NULL;
    ck_assert_int_eq(strata_schema_diff(x, y, &d), STRATA_OK);
    ck_assert_uint_eq(strata_schema_diff_count(d), 1);
    ck_assert_int_eq(strata_schema_diff_only_column_order(d), 1);
    const strata_schema_change *c = strata_schema_diff_get(d, 0);
    ck_assert_int_eq(c->kind, STRATA_CHANGE_COLUMN_ORDER);
    ck_assert_str_eq(c->text, "~ table public.t: columns (a, b, c) -> (a, c, b)");
    strata_schema_diff_free(d);
    strata_schema_free(x);
    strata_schema_free(y);
    strata_close(s);
}
END_TEST

START_TEST(snapshot_privileges_only_when_asked)
{
    test_sql("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schema_reader') THEN "
             "CREATE ROLE schema_reader; END IF; END$$;"
             "CREATE TABLE t (a int); GRANT SELECT ON t TO schema_reader;");
    strata *s = test_open();
    strata_schema *sc = snap(s), *p = NULL;
    char *t = render(sc, STRATA_FORMAT_TEXT);
    ck_assert_ptr_null(strstr(t, "schema_reader"));
    ck_assert_ptr_null(strstr(t, "owner:"));
    ck_assert_int_eq(strata_schema_snapshot(s, STRATA_SCHEMA_PRIVILEGES, &p), STRATA_OK);
    char *tp = render(p, STRATA_FORMAT_TEXT);
    assert_has(tp, "\towner: postgres\n");
    assert_has(tp, "schema_reader=r/postgres");
    ck_assert_int_eq(strata_schema_snapshot(s, 64, &sc), STRATA_EINVAL);
    free(t);
    free(tp);
    strata_schema_free(sc);
    strata_schema_free(p);
    strata_close(s);
}
END_TEST

START_TEST(api_edges)
{
    strata *s = NULL;
    strata_schema *sc = NULL;
    char *t = NULL;
    ck_assert_int_eq(strata_schema_snapshot(NULL, 0, &sc), STRATA_EINVAL);
    ck_assert_int_eq(strata_open(&s, NULL), STRATA_OK);
    ck_assert_int_eq(strata_schema_snapshot(s, 0, &sc), STRATA_ENODB);
    ck_assert_ptr_null(sc);
    strata_close(s);
    ck_assert_int_eq(strata_schema_render(NULL, 0, &t), STRATA_EINVAL);
    ck_assert_int_eq(strata_schema_diff(NULL, NULL, NULL), STRATA_EINVAL);
    ck_assert_uint_eq(strata_schema_count(NULL), 0);
    ck_assert_uint_eq(strata_schema_diff_count(NULL), 0);
    ck_assert_ptr_null(strata_schema_diff_get(NULL, 0));
    strata_schema_free(NULL);
    strata_schema_diff_free(NULL);
    strata_free(NULL);
    /* an open transaction on a borrowed connection is refused */
    PGconn *c = test_connect();
    PQclear(PQexec(c, "BEGIN"));
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_schema_snapshot(s, 0, &sc), STRATA_EINVAL);
    strata_close(s);
    PQfinish(c);
}
END_TEST

/* ---- rollback proof ---- */

/* One object kind: a setup migration, then a change whose down forgets
 * it, restores it differently, or restores it exactly. */
typedef struct kind_case {
    const char *setup_up, *setup_down;
    const char *up;
    const char *forget, *differ, *exact;
    const char *forget_diff, *differ_diff; /* expected in the diff */
} kind_case;

static const kind_case kind_cases[] = {
    {"CREATE TABLE k1 (id int, email varchar(255) NOT NULL)", "DROP TABLE k1",
     "ALTER TABLE k1 ALTER email TYPE text", "SELECT 1", "ALTER TABLE k1 ALTER email TYPE varchar(100)",
     "ALTER TABLE k1 ALTER email TYPE varchar(255)",
     "~ column public.k1.email: type character varying(255) -> text",
     "~ column public.k1.email: type character varying(255) -> character varying(100)"},
    {"SELECT 1", "SELECT 1", "CREATE TABLE IF NOT EXISTS k2 (id int)", "SELECT 1",
     "ALTER TABLE k2 RENAME TO k2_gone", "DROP TABLE k2", "+ table public.k2\n", "+ table public.k2_gone\n"},
    {"CREATE TABLE k3 (a int CONSTRAINT k3_pos CHECK (a > 0))", "DROP TABLE k3",
     "ALTER TABLE k3 DROP CONSTRAINT IF EXISTS k3_pos", "SELECT 1",
     "ALTER TABLE k3 ADD CONSTRAINT k3_pos CHECK (a > 0) NOT VALID",
     "ALTER TABLE k3 ADD CONSTRAINT k3_pos CHECK (a > 0)", "- constraint public.k3.k3_pos\n",
     "~ constraint public.k3.k3_pos: validated true -> false"},
    {"CREATE TABLE k4 (a int, b int); CREATE INDEX k4_a ON k4 (a)", "DROP TABLE k4",
     "DROP INDEX IF EXISTS k4_a", "SELECT 1", "CREATE INDEX k4_a ON k4 (b)", "CREATE INDEX k4_a ON k4 (a)",
     "- index public.k4_a\n",
     "~ index public.k4_a: definition CREATE INDEX k4_a ON public.k4 USING btree (a) -> "
     "CREATE INDEX k4_a ON public.k4 USING btree (b)"},
    {"CREATE SEQUENCE k5 INCREMENT 5", "DROP SEQUENCE k5", "ALTER SEQUENCE k5 INCREMENT 10", "SELECT 1",
     "ALTER SEQUENCE k5 INCREMENT 1", "ALTER SEQUENCE k5 INCREMENT 5",
     "~ sequence public.k5: increment 5 -> 10", "~ sequence public.k5: increment 5 -> 1"},
    {"CREATE TABLE k6 (a int, b int); CREATE VIEW k6v AS SELECT a FROM k6", "DROP TABLE k6 CASCADE",
     "CREATE OR REPLACE VIEW k6v AS SELECT a, b FROM k6", "SELECT 1",
     "DROP VIEW k6v; CREATE VIEW k6v AS SELECT a FROM k6 WHERE a > 0",
     "DROP VIEW k6v; CREATE VIEW k6v AS SELECT a FROM k6", "~ view public.k6v: definition differs at line",
     "~ view public.k6v: definition differs at line 2"},
    {"CREATE MATERIALIZED VIEW k7 AS SELECT 1 AS x", "DROP MATERIALIZED VIEW k7",
     "DROP MATERIALIZED VIEW IF EXISTS k7", "SELECT 1", "CREATE MATERIALIZED VIEW k7 AS SELECT 2 AS x",
     "CREATE MATERIALIZED VIEW k7 AS SELECT 1 AS x", "- materialized view public.k7\n",
     "~ materialized view public.k7: definition  SELECT 1 AS x; ->  SELECT 2 AS x;"},
    {"CREATE FUNCTION k8(int) RETURNS int LANGUAGE sql AS 'SELECT $1'", "DROP FUNCTION k8(int)",
     "CREATE OR REPLACE FUNCTION k8(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1'", "SELECT 1",
     "CREATE OR REPLACE FUNCTION k8(int) RETURNS int LANGUAGE sql AS 'SELECT $1 * 1'",
     "CREATE OR REPLACE FUNCTION k8(int) RETURNS int LANGUAGE sql AS 'SELECT $1'",
     "~ function public.k8(integer): definition differs at line 4: AS $function$SELECT $1$function$ -> "
     "AS $function$SELECT $1 + 1$function$",
     "~ function public.k8(integer): definition differs at line 4"},
    {"CREATE PROCEDURE k9() LANGUAGE sql AS 'SELECT 1'", "DROP PROCEDURE k9()",
     "DROP PROCEDURE IF EXISTS k9()", "SELECT 1", "CREATE PROCEDURE k9() LANGUAGE sql AS 'SELECT 2'",
     "CREATE PROCEDURE k9() LANGUAGE sql AS 'SELECT 1'", "- procedure public.k9()\n",
     "~ procedure public.k9(): definition differs at line 3"},
    {"CREATE TABLE k10 (a int); CREATE FUNCTION k10f() RETURNS trigger LANGUAGE plpgsql AS "
     "$$BEGIN RETURN NEW; END$$; CREATE TRIGGER k10t BEFORE INSERT ON k10 FOR EACH ROW EXECUTE FUNCTION k10f()",
     "DROP TABLE k10; DROP FUNCTION k10f()", "ALTER TABLE k10 DISABLE TRIGGER k10t", "SELECT 1",
     "ALTER TABLE k10 ENABLE ALWAYS TRIGGER k10t", "ALTER TABLE k10 ENABLE TRIGGER k10t",
     "~ trigger public.k10.k10t: enabled enabled -> disabled", "~ trigger public.k10.k10t: enabled enabled -> always"},
    {"CREATE TYPE k11 AS ENUM ('a', 'b', 'c')", "DROP TYPE k11", "ALTER TYPE k11 ADD VALUE IF NOT EXISTS 'd'",
     "SELECT 1", "DROP TYPE k11; CREATE TYPE k11 AS ENUM ('a', 'c', 'b')",
     "DROP TYPE k11; CREATE TYPE k11 AS ENUM ('a', 'b', 'c')",
     "~ enum public.k11: labels 'a', 'b', 'c' -> 'a', 'b', 'c', 'd'",
     "~ enum public.k11: labels 'a', 'b', 'c' -> 'a', 'c', 'b'"},
    {"CREATE DOMAIN k12 AS int CHECK (VALUE > 0)", "DROP DOMAIN k12", "ALTER DOMAIN k12 SET DEFAULT 5",
     "SELECT 1", "ALTER DOMAIN k12 SET DEFAULT 6", "ALTER DOMAIN k12 DROP DEFAULT",
     "~ domain public.k12: default (none) -> 5", "~ domain public.k12: default (none) -> 6"},
    {"CREATE TYPE k13 AS (a int, b text)", "DROP TYPE k13",
     "DROP TYPE IF EXISTS k13; CREATE TYPE k13 AS (a int, b text, c date)", "SELECT 1",
     "DROP TYPE k13; CREATE TYPE k13 AS (a int, b varchar)", "DROP TYPE k13; CREATE TYPE k13 AS (a int, b text)",
     "~ composite public.k13: attributes a integer, b text -> a integer, b text, c date",
     "~ composite public.k13: attributes a integer, b text -> a integer, b character varying"},
    {"CREATE TABLE k14 (a int); CREATE POLICY k14p ON k14 USING (a > 0)", "DROP TABLE k14",
     "ALTER TABLE k14 ENABLE ROW LEVEL SECURITY; DROP POLICY IF EXISTS k14p ON k14", "SELECT 1",
     "ALTER TABLE k14 DISABLE ROW LEVEL SECURITY; CREATE POLICY k14p ON k14 USING (a > 1)",
     "ALTER TABLE k14 DISABLE ROW LEVEL SECURITY; CREATE POLICY k14p ON k14 USING (a > 0)",
     "~ table public.k14: row security false -> true", "~ policy public.k14.k14p: using (a > 0) -> (a > 1)"},
    {"CREATE TABLE k15 (a int); COMMENT ON COLUMN k15.a IS 'x'", "DROP TABLE k15",
     "COMMENT ON COLUMN k15.a IS 'y'", "SELECT 1", "COMMENT ON COLUMN k15.a IS 'z'",
     "COMMENT ON COLUMN k15.a IS 'x'", "~ column public.k15.a: comment x -> y",
     "~ column public.k15.a: comment x -> z"},
    {"SELECT 1", "SELECT 1", "CREATE EXTENSION IF NOT EXISTS hstore", "SELECT 1",
     "DROP EXTENSION hstore; CREATE EXTENSION pg_trgm", "DROP EXTENSION hstore", "+ extension hstore\n",
     "+ extension pg_trgm\n"},
    {"SELECT 1", "SELECT 1", "CREATE SCHEMA IF NOT EXISTS k17", "SELECT 1", "ALTER SCHEMA k17 RENAME TO k17_old",
     "DROP SCHEMA k17", "+ schema k17\n", "+ schema k17_old\n"},
    {"CREATE TABLE k18 (at date) PARTITION BY RANGE (at); CREATE TABLE k18_2020 PARTITION OF k18 "
     "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')", "DROP TABLE k18",
     "DROP TABLE IF EXISTS k18_2020", "SELECT 1",
     "CREATE TABLE k18_2020 PARTITION OF k18 FOR VALUES FROM ('2020-01-01') TO ('2020-06-01')",
     "CREATE TABLE k18_2020 PARTITION OF k18 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
     "- table public.k18_2020\n",
     "~ table public.k18_2020: partition bound FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') -> "
     "FOR VALUES FROM ('2020-01-01') TO ('2020-06-01')"},
    {"CREATE TABLE k19 (a int)", "DROP TABLE k19", "ALTER TABLE k19 SET UNLOGGED", "SELECT 1",
     "ALTER TABLE k19 SET LOGGED, SET (fillfactor = 50)", "ALTER TABLE k19 SET LOGGED",
     "~ table public.k19: persistence permanent -> unlogged", "~ table public.k19: options (none) -> fillfactor=50"},
    {"CREATE TABLE k20 (id int, v int DEFAULT 1)", "DROP TABLE k20", "ALTER TABLE k20 ALTER v SET DEFAULT 2",
     "SELECT 1", "ALTER TABLE k20 ALTER v DROP DEFAULT", "ALTER TABLE k20 ALTER v SET DEFAULT 1",
     "~ column public.k20.v: default 1 -> 2", "~ column public.k20.v: default 1 -> (none)"},
    {"CREATE TABLE k21 (v int NOT NULL)", "DROP TABLE k21", "ALTER TABLE k21 ALTER v DROP NOT NULL", "SELECT 1",
     "ALTER TABLE k21 ALTER v SET NOT NULL, ALTER v TYPE bigint", "ALTER TABLE k21 ALTER v SET NOT NULL",
     "~ column public.k21.v: not null true -> false", "~ column public.k21.v: type integer -> bigint"},
    {"CREATE TABLE k22 (id int)", "DROP TABLE k22",
     "ALTER TABLE k22 ADD COLUMN IF NOT EXISTS g int GENERATED ALWAYS AS (id * 2) STORED", "SELECT 1",
     "ALTER TABLE k22 DROP COLUMN g, ADD COLUMN h int", "ALTER TABLE k22 DROP COLUMN g",
     "+ column public.k22.g\n", "+ column public.k22.h\n"},
    /* issue 12's oracle: a rule, extended statistics and a statistics
     * target left behind by a down that undoes only the rest */
    {"CREATE TABLE k23 (id bigint); CREATE RULE k23_keep AS ON UPDATE TO k23 DO INSTEAD NOTHING",
     "DROP TABLE k23",
     "ALTER TABLE k23 ADD COLUMN locked boolean; "
     "CREATE OR REPLACE RULE k23_no_delete AS ON DELETE TO k23 DO INSTEAD NOTHING",
     "ALTER TABLE k23 DROP COLUMN locked",
     "ALTER TABLE k23 DROP COLUMN locked; DROP RULE k23_no_delete ON k23; ALTER TABLE k23 DISABLE RULE k23_keep",
     "ALTER TABLE k23 DROP COLUMN locked; DROP RULE k23_no_delete ON k23", "+ rule public.k23.k23_no_delete\n",
     "~ rule public.k23.k23_keep: enabled enabled -> disabled"},
    {"CREATE TABLE k24 (id bigint, tenant_id bigint, created_at timestamptz); "
     "CREATE STATISTICS k24_keep ON id, tenant_id FROM k24", "DROP TABLE k24",
     "ALTER TABLE k24 ADD COLUMN region text; "
     "CREATE STATISTICS IF NOT EXISTS k24_stats (dependencies) ON tenant_id, created_at FROM k24",
     "ALTER TABLE k24 DROP COLUMN region",
     "ALTER TABLE k24 DROP COLUMN region; DROP STATISTICS k24_stats; ALTER STATISTICS k24_keep SET STATISTICS 50",
     "ALTER TABLE k24 DROP COLUMN region; DROP STATISTICS k24_stats", "+ statistics public.k24_stats\n",
     "~ statistics public.k24_keep: statistics target -1 -> 50"},
    {"CREATE TABLE k25 (id bigint, tenant_id bigint)", "DROP TABLE k25",
     "ALTER TABLE k25 ALTER COLUMN tenant_id SET STATISTICS 1000; CREATE INDEX k25_tenant_idx ON k25 (tenant_id)",
     "DROP INDEX k25_tenant_idx",
     "DROP INDEX k25_tenant_idx; ALTER TABLE k25 ALTER tenant_id SET STATISTICS -1, ALTER id SET STATISTICS 10",
     "DROP INDEX k25_tenant_idx; ALTER TABLE k25 ALTER tenant_id SET STATISTICS -1",
     "~ column public.k25.tenant_id: statistics -1 -> 1000", "~ column public.k25.id: statistics -1 -> 10"},
    {"CREATE TABLE k26 (a text, b text)", "DROP TABLE k26", "ALTER TABLE k26 ALTER a SET STORAGE EXTERNAL",
     "SELECT 1", "ALTER TABLE k26 ALTER a SET STORAGE EXTENDED, ALTER b SET STORAGE MAIN",
     "ALTER TABLE k26 ALTER a SET STORAGE EXTENDED", "~ column public.k26.a: storage (the type's) -> external",
     "~ column public.k26.b: storage (the type's) -> main"},
    {"CREATE TABLE k27 (a text, b text)", "DROP TABLE k27",
     "ALTER TABLE k27 ALTER a SET COMPRESSION pglz, ALTER b SET (n_distinct = 100)", "ALTER TABLE k27 ALTER a SET COMPRESSION default",
     "ALTER TABLE k27 ALTER a SET COMPRESSION default, ALTER b SET (n_distinct = 50)",
     "ALTER TABLE k27 ALTER a SET COMPRESSION default, ALTER b RESET (n_distinct)",
     "~ column public.k27.b: options (none) -> n_distinct=100", "~ column public.k27.b: options (none) -> n_distinct=50"},
    {"CREATE TABLE k28 (a text); CREATE INDEX k28_a ON k28 (a)", "DROP TABLE k28",
     "ALTER TABLE k28 SET (toast.autovacuum_enabled = false); ALTER INDEX k28_a SET (fillfactor = 60)",
     "ALTER TABLE k28 RESET (toast.autovacuum_enabled)", "ALTER INDEX k28_a RESET (fillfactor)",
     "ALTER TABLE k28 RESET (toast.autovacuum_enabled); ALTER INDEX k28_a RESET (fillfactor)",
     "~ index public.k28_a: definition CREATE INDEX k28_a ON public.k28 USING btree (a) -> "
     "CREATE INDEX k28_a ON public.k28 USING btree (a) WITH (fillfactor='60')",
     "~ table public.k28: toast options (none) -> toast.autovacuum_enabled=false"},
};
#define NKINDS (sizeof kind_cases / sizeof kind_cases[0])

static strata_roundtrip_report *roundtrip(strata *s)
{
    strata_roundtrip_report *r = NULL;
    int rc = strata_verify_roundtrip(s, 0, &r);
    ck_assert_msg(rc == STRATA_OK, "roundtrip: %d %s", rc, strata_errmsg(s));
    return r;
}

static void assert_item(const strata_roundtrip_report *r, size_t i, int64_t version, int32_t result)
{
    const strata_roundtrip_item *it = strata_roundtrip_get(r, i);
    ck_assert_msg(it != NULL, "no item %zu", i);
    ck_assert_msg(it->version == version && it->result == result,
                  "item %zu: version %lld result %s, expected %lld %d\nerror: %s\ndiff: %s", i,
                  (long long)it->version, it->result_name, (long long)version, (int)result,
                  it->error ? it->error : "", it->diff ? it->diff : "");
}

/* variant 0: the down forgets, 1: restores differently, 2: exactly; as
 * @role (NULL: the superuser) */
static void run_kind_variant_as(int variant, const char *role)
{
    strata_migration_def defs[2 * NKINDS];
    strata *s = NULL;
    char dsn[1024];
    snprintf(dsn, sizeof dsn, "%s user=%s", test_db_current(), role ? role : "postgres");
    ck_assert_msg(strata_open(&s, dsn) == STRATA_OK, "strata_open: %s", strata_errmsg(s));
    for (size_t i = 0; i < NKINDS; i++) {
        const kind_case *k = &kind_cases[i];
        const char *down = variant == 0 ? k->forget : variant == 1 ? k->differ : k->exact;
        defs[2 * i] = (strata_migration_def){(int64_t)(2 * i + 1), "setup", k->setup_up, k->setup_down};
        defs[2 * i + 1] = (strata_migration_def){(int64_t)(2 * i + 2), "change", k->up, down};
    }
    ck_assert_int_eq(strata_add_migrations(s, defs, 2 * NKINDS), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    ck_assert_uint_eq(strata_roundtrip_count(r), 2 * NKINDS);
    for (size_t i = 0; i < NKINDS; i++) {
        const strata_roundtrip_item *it;
        assert_item(r, 2 * i, (int64_t)(2 * i + 1), STRATA_RT_OK);
        assert_item(r, 2 * i + 1, (int64_t)(2 * i + 2), variant == 2 ? STRATA_RT_OK : STRATA_RT_RESIDUE);
        it = strata_roundtrip_get(r, 2 * i + 1);
        if (variant < 2)
            assert_has(it->diff, variant == 0 ? kind_cases[i].forget_diff : kind_cases[i].differ_diff);
        else
            ck_assert_ptr_null(it->diff);
    }
    ck_assert_uint_eq(strata_roundtrip_failures(r), variant == 2 ? 0 : NKINDS);
    strata_roundtrip_report_free(r);
    strata_close(s);
}

static void run_kind_variant(int variant)
{
    run_kind_variant_as(variant, NULL);
}

START_TEST(roundtrip_down_forgets)
{
    run_kind_variant(0);
}
END_TEST

/* A role that may not create event triggers: every check is a full
 * snapshot, with the same results. */
START_TEST(roundtrip_full_snapshots_without_superuser)
{
    char role[64], sql[512];
    snprintf(role, sizeof role, "rt_plain_%d", (int)getpid());
    snprintf(sql, sizeof sql,
             "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN; GRANT CREATE ON SCHEMA public TO %s; "
             "DO $$BEGIN EXECUTE format('GRANT CREATE ON DATABASE %%I TO %s', current_database()); END$$",
             role, role, role, role);
    test_sql(sql);
    run_kind_variant_as(0, role);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_event_trigger"), 0);
    snprintf(sql, sizeof sql, "DROP OWNED BY %s; DROP ROLE %s", role, role);
    test_sql(sql);
}
END_TEST

START_TEST(roundtrip_down_differs)
{
    run_kind_variant(1);
}
END_TEST

START_TEST(roundtrip_down_exact)
{
    run_kind_variant(2);
}
END_TEST

START_TEST(roundtrip_failures_and_order)
{
    strata_migration_def defs[] = {
        {1, "base", "CREATE TABLE co (a int, b text, c int);", "DROP TABLE co;"},
        /* a constraint dropped under the name of an index: the down fails */
        {2, "idx", "CREATE UNIQUE INDEX co_a ON co (c);", "-- undo\nALTER TABLE co\n  DROP CONSTRAINT co_a;"},
        /* a column re-added without its type: fails to parse */
        {3, "drop b", "ALTER TABLE co DROP COLUMN b;", "ALTER TABLE co ADD COLUMN b;"},
        {4, "order", "ALTER TABLE co DROP COLUMN a;", "ALTER TABLE co ADD COLUMN a int;"},
        {5, "irreversible", "CREATE TABLE irr (a int);", NULL},
        {6, "empty down", "CREATE TABLE irr2 (a int);", "-- nothing to do\n"},
        /* the up fails after its down: the chain stops */
        {7, "reapply", "CREATE TABLE r1 (a int); CREATE INDEX r1_idx ON r1 (a);",
         "DROP TABLE r1; CREATE TABLE r1_idx (x int);"},
        {8, "never", "CREATE TABLE never (a int);", "DROP TABLE never;"},
    };
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 8), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    ck_assert_uint_eq(strata_roundtrip_count(r), 7);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_DOWN_FAILED);
    ck_assert_str_eq(strata_roundtrip_get(r, 1)->error,
                     "2_idx:2:1: constraint \"co_a\" of relation \"co\" does not exist [42704]\n(the revert of 2 was rolled back)");
    assert_item(r, 2, 3, STRATA_RT_DOWN_FAILED);
    assert_has(strata_roundtrip_get(r, 2)->error, "syntax error");
    assert_item(r, 3, 4, STRATA_RT_COLUMN_ORDER);
    ck_assert_str_eq(strata_roundtrip_get(r, 3)->diff, "~ table public.co: columns (a, c) -> (c, a)\n");
    assert_item(r, 4, 5, STRATA_RT_NO_DOWN);
    assert_item(r, 5, 6, STRATA_RT_NO_DOWN);
    assert_item(r, 6, 7, STRATA_RT_REAPPLY_FAILED);
    assert_has(strata_roundtrip_get(r, 6)->error, "relation \"r1_idx\" already exists [42P07]");
    assert_has(strata_roundtrip_get(r, 6)->diff, "+ table public.r1_idx\n");
    ck_assert_uint_eq(strata_roundtrip_failures(r), 3);

    char *t = NULL, *j = NULL;
    ck_assert_int_eq(strata_roundtrip_render(r, STRATA_FORMAT_TEXT, &t), STRATA_OK);
    assert_has(t, "1 base: ok\n2 idx: down-failed\n    2_idx:2:1: constraint");
    assert_has(t, "4 order: column-order\n    ~ table public.co: columns (a, c) -> (c, a)\n5 irreversible: no-down\n");
    ck_assert_int_eq(strata_roundtrip_render(r, STRATA_FORMAT_JSON, &j), STRATA_OK);
    assert_has(j, "{\"version\": 1, \"name\": \"base\", \"result\": \"ok\"}");
    assert_has(j, "{\"version\": 4, \"name\": \"order\", \"result\": \"column-order\", \"diff\": "
                  "[{\"change\": \"column-order\", \"object\": \"table\", \"name\": \"public.co\", "
                  "\"detail\": \"columns (a, c) -> (c, a)\"}]}");
    assert_has(j, "\"result\": \"down-failed\", \"error\": \"2_idx:2:1: constraint \\\"co_a\\\"");
    strata_free(t);
    strata_free(j);
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

/* An enum label cannot be removed: the usual down re-adds it, at the end. */
START_TEST(roundtrip_enum_label_readded_at_end)
{
    strata_migration_def defs[] = {
        {1, "enum", "CREATE TYPE st AS ENUM ('new', 'old', 'done');", "DROP TYPE st;"},
        {2, "drop old", "ALTER TYPE st RENAME TO st_prev; CREATE TYPE st AS ENUM ('new', 'done'); DROP TYPE st_prev;",
         "ALTER TYPE st ADD VALUE 'old';"},
    };
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_RESIDUE);
    ck_assert_str_eq(strata_roundtrip_get(r, 1)->diff,
                     "~ enum public.st: labels 'new', 'old', 'done' -> 'new', 'done', 'old'\n");
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

/* Downs run as `down` runs them: a no-transaction down, and a CREATE
 * INDEX CONCURRENTLY down inside a transaction, which fails. */
START_TEST(roundtrip_runs_like_down)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE t (a int);", "DROP TABLE t;"},
        {2, "idx notx", "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);",
         "-- strata:no-transaction\nDROP INDEX CONCURRENTLY t_a;"},
        {3, "drop idx", "DROP INDEX t_a;", "CREATE INDEX CONCURRENTLY t_a ON t (a);"},
        {4, "later", "CREATE TABLE u (a int);", "DROP TABLE u;"},
    };
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 4), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    ck_assert_uint_eq(strata_roundtrip_count(r), 4);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_OK);
    assert_item(r, 2, 3, STRATA_RT_DOWN_FAILED);
    assert_has(strata_roundtrip_get(r, 2)->error, "CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
    assert_item(r, 3, 4, STRATA_RT_OK); /* the run went on */
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

START_TEST(roundtrip_from_version)
{
    strata_migration_def defs[] = {
        {1, "a", "CREATE TABLE a (x int);", "SELECT 1;"},
        {2, "b", "CREATE TABLE b (x int);", "DROP TABLE b;"},
    };
    strata *s = test_open();
    strata_roundtrip_report *r = NULL;
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    ck_assert_int_eq(strata_verify_roundtrip(s, 2, &r), STRATA_OK);
    ck_assert_uint_eq(strata_roundtrip_count(r), 1);
    assert_item(r, 0, 2, STRATA_RT_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

/* The change tracking (event triggers) re-reads what DDL touched and its
 * dependents: residue that no trigger reports on the object itself must
 * still be found, the same as by full snapshots. */
START_TEST(roundtrip_tracking_sees_dependents)
{
    strata_migration_def defs[] = {
        {1, "base", "CREATE SCHEMA \"Sch\"; CREATE TABLE \"Sch\".t (a int); "
                    "CREATE VIEW v AS SELECT a FROM \"Sch\".t; CREATE TYPE e AS ENUM ('x');"
                    "CREATE TABLE u (k e, d int DEFAULT 1);",
         "DROP VIEW v; DROP TABLE u; DROP TYPE e; DROP SCHEMA \"Sch\" CASCADE;"},
        /* the view's and u.k's texts change; only the schema and the type
         * are reported (the up cannot run again: the chain stops there) */
        {2, "renames", "ALTER SCHEMA \"Sch\" RENAME TO \"Sch2\"; ALTER TYPE e RENAME TO e2;", "SELECT 1;"},
    };
    PGconn *c = test_connect();
    strata *s = NULL;
    ck_assert_int_eq(strata_open_conn(&s, c), STRATA_OK);
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_REAPPLY_FAILED);
    assert_has(strata_roundtrip_get(r, 1)->diff, "~ view public.v: definition");
    assert_has(strata_roundtrip_get(r, 1)->diff, "~ column public.u.k: type public.e -> public.e2");
    assert_has(strata_roundtrip_get(r, 1)->diff, "- table \"Sch\".t");
    /* the tracking leaves nothing behind */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_event_trigger"), 0);
    PGresult *pr = PQexec(c, "SELECT (SELECT count(*) FROM pg_prepared_statements) + "
                             "(SELECT count(*) FROM pg_class WHERE relname = 'strata_rt_touched')");
    ck_assert_str_eq(PQgetvalue(pr, 0, 0), "0");
    PQclear(pr);
    strata_roundtrip_report_free(r);
    strata_close(s);
    PQfinish(c);
}
END_TEST

/* A dropped object's dependent view (reported by sql_drop only), and a
 * partition detached from its parent (only the parent is reported; the
 * partition no longer depends on it: found through the model's refs). */
START_TEST(roundtrip_tracking_sees_drops_and_detach)
{
    strata_migration_def defs[] = {
        {1, "base", "CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t; "
                    "CREATE TABLE pt (at date) PARTITION BY RANGE (at); CREATE TABLE \"Pt 2020\" PARTITION OF pt "
                    "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
         "DROP VIEW IF EXISTS v; DROP TABLE t, pt;"},
        {2, "drop cascade", "DROP TABLE t CASCADE;", "CREATE TABLE t (a int);"},
        {3, "detach", "ALTER TABLE pt DETACH PARTITION \"Pt 2020\";", "SELECT 1;"},
    };
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_RESIDUE);
    ck_assert_str_eq(strata_roundtrip_get(r, 1)->diff, "- view public.v\n");
    assert_item(r, 2, 3, STRATA_RT_REAPPLY_FAILED);
    assert_has(strata_roundtrip_get(r, 2)->diff, "~ table public.\"Pt 2020\": partition bound");
    assert_has(strata_roundtrip_get(r, 2)->diff, "partition of public.pt -> (none)");
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

/* Through a transaction pooler the session's temporary objects do not
 * hold: full snapshots, the same results. */
START_TEST(roundtrip_through_pooler)
{
    static char dsn[512];
    const char *b = test_pgbouncer_start(), *db = strstr(test_db_current(), "dbname=");
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE t (a int DEFAULT 1);", "DROP TABLE t;"},
        {2, "forgets", "ALTER TABLE t ALTER a SET DEFAULT 2;", "SELECT 1;"},
        {3, "exact", "CREATE TABLE u (a int);", "DROP TABLE u;"},
    };
    strata *s = NULL;
    if (!b)
        return;
    snprintf(dsn, sizeof dsn, "%s %s", b, db);
    ck_assert_msg(strata_open(&s, dsn) == STRATA_OK, "strata_open: %s", strata_errmsg(s));
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_RESIDUE);
    ck_assert_str_eq(strata_roundtrip_get(r, 1)->diff, "~ column public.t.a: default 1 -> 2\n");
    assert_item(r, 2, 3, STRATA_RT_OK);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_event_trigger"), 0);
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

/* A run cut short (its session ends): the report says what was and was
 * not proven, and the event triggers go with the session's temporary
 * function; later DDL in the database is unaffected. */
START_TEST(roundtrip_interrupted_leaves_no_trigger)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE t (a int);", "DROP TABLE t;"},
        {2, "dies", "SELECT pg_terminate_backend(pg_backend_pid());", "SELECT 1;"},
    };
    strata *s = test_open();
    strata_roundtrip_report *r = NULL;
    long left = -1;
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    ck_assert_int_eq(strata_verify_roundtrip(s, 0, &r), STRATA_OK);
    /* the `ok` before could not be proven by the closing full snapshot */
    assert_item(r, 0, 1, STRATA_RT_RESIDUE);
    assert_has(strata_roundtrip_get(r, 0)->error, "not proven: the full snapshot that checks");
    assert_item(r, 1, 2, STRATA_RT_UP_FAILED);
    strata_roundtrip_report_free(r);
    strata_close(s);
    for (int i = 0; i < 100 && left != 0; i++) { /* the backend cleans up as it exits */
        left = test_query_long("SELECT count(*) FROM pg_event_trigger");
        if (left)
            usleep(50000);
    }
    ck_assert_int_eq(left, 0);
    test_sql("CREATE TABLE after_the_run (a int)");
}
END_TEST

/* A migration that drops the tracking's temporary objects: the run goes on
 * with full snapshots, and a later residue is still found. */
START_TEST(roundtrip_tracking_lost_falls_back)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE t (a int DEFAULT 1);", "DROP TABLE t;"},
        {2, "discard", "-- strata:no-transaction\nDISCARD TEMP;", "SELECT 1;"},
        {3, "forgets", "ALTER TABLE t ALTER a SET DEFAULT 2;", "SELECT 1;"},
        {4, "exact", "CREATE TABLE u (a int);", "DROP TABLE u;"},
    };
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 4), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_OK);
    assert_item(r, 2, 3, STRATA_RT_RESIDUE);
    assert_has(strata_roundtrip_get(r, 2)->diff, "~ column public.t.a: default 1 -> 2");
    assert_item(r, 3, 4, STRATA_RT_OK);
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

/* What no event trigger sees (a role renamed changes a policy's text) is
 * caught by the full snapshot at the end: never an `ok` for it. */
START_TEST(roundtrip_safety_net_distrusts)
{
    char up[512], down[256], setup[512], role[64];
    snprintf(role, sizeof role, "rt_role_%d", (int)getpid());
    snprintf(setup, sizeof setup, "CREATE TABLE p (a int); CREATE POLICY pp ON p TO %s USING (a > 0);", role);
    snprintf(up, sizeof up, "DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN "
             "ALTER ROLE %s RENAME TO %s_x; END IF; END$$;", role, role, role);
    snprintf(down, sizeof down, "SELECT 1;");
    strata_migration_def defs[] = {
        {1, "policy", setup, "DROP TABLE p;"},
        {2, "rename role", up, down},
    };
    char sql[256];
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s; DROP ROLE IF EXISTS %s_x; CREATE ROLE %s", role, role,
             role);
    test_sql(sql);
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 1, 2, STRATA_RT_RESIDUE);
    const strata_roundtrip_item *it = strata_roundtrip_get(r, 1);
    ck_assert_msg((it->diff && strstr(it->diff, "~ policy public.p.pp: roles")) ||
                      (it->error && strstr(it->error, "change tracking missed")),
                  "item 2: %s / %s", it->diff ? it->diff : "", it->error ? it->error : "");
    ck_assert_uint_ge(strata_roundtrip_failures(r), 1);
    strata_roundtrip_report_free(r);
    strata_close(s);
    snprintf(sql, sizeof sql, "DROP TABLE p; DROP ROLE IF EXISTS %s; DROP ROLE IF EXISTS %s_x", role, role);
    test_sql(sql);
}
END_TEST

/* Issue 12, item 1: a down that revokes only part of a grant. Owners and
 * grants are compared only when asked (STRATA_SCHEMA_PRIVILEGES). */
static const char *const grant_role = "strata_oracle_app";

static strata_migration_def grant_defs[] = {
    {1, "t", "CREATE TABLE t (id bigint PRIMARY KEY, tenant_id bigint, created_at timestamptz); "
             "CREATE TABLE t2 (id int); CREATE SEQUENCE q;", "DROP TABLE t, t2; DROP SEQUENCE q;"},
    {2, "grant", "GRANT SELECT, INSERT ON t TO strata_oracle_app;", "REVOKE INSERT ON t FROM strata_oracle_app;"},
    {3, "exact", "GRANT SELECT ON t2 TO strata_oracle_app; GRANT USAGE ON SEQUENCE q TO strata_oracle_app; "
                 "GRANT UPDATE (id) ON t2 TO strata_oracle_app;",
     "REVOKE ALL ON t2 FROM strata_oracle_app; REVOKE ALL ON SEQUENCE q FROM strata_oracle_app; "
     "REVOKE ALL (id) ON t2 FROM strata_oracle_app;"},
};

static void grant_role_create(void)
{
    test_sql("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'strata_oracle_app') THEN "
             "CREATE ROLE strata_oracle_app; END IF; END$$;");
}

static strata_roundtrip_report *grant_roundtrip(int32_t flags)
{
    strata *s = test_open();
    strata_roundtrip_report *r = NULL;
    ck_assert_int_eq(strata_add_migrations(s, grant_defs, 3), STRATA_OK);
    int rc = strata_verify_roundtrip_flags(s, 0, flags, &r);
    ck_assert_msg(rc == STRATA_OK, "roundtrip: %d %s", rc, strata_errmsg(s));
    strata_close(s);
    return r;
}

START_TEST(roundtrip_privileges_only_when_asked)
{
    grant_role_create();
    strata_roundtrip_report *r = grant_roundtrip(0);
    assert_item(r, 1, 2, STRATA_RT_OK); /* as documented: grants not compared */
    strata_roundtrip_report_free(r);
    test_db_new();
    r = grant_roundtrip(STRATA_SCHEMA_PRIVILEGES);
    assert_item(r, 0, 1, STRATA_RT_OK);
    assert_item(r, 1, 2, STRATA_RT_RESIDUE);
    assert_has(strata_roundtrip_get(r, 1)->diff, "~ table public.t: acl (none) -> "
                                                 "postgres=arwdDxt/postgres, strata_oracle_app=r/postgres");
    /* a down that revokes all leaves the owner's explicit default: no residue */
    assert_item(r, 2, 3, STRATA_RT_OK);
    ck_assert_uint_eq(strata_roundtrip_failures(r), 1);
    strata_roundtrip_report_free(r);
    /* full snapshots: no event trigger was installed */
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_event_trigger"), 0);
    strata *s = test_open();
    ck_assert_int_eq(strata_verify_roundtrip_flags(s, 0, 8, &r), STRATA_EINVAL);
    ck_assert_int_eq(strata_verify_roundtrip_flags(s, 0, 0, NULL), STRATA_EINVAL);
    ck_assert_int_eq(strata_verify_roundtrip_flags(NULL, 0, 0, &r), STRATA_EINVAL);
    strata_close(s);
    (void)grant_role;
}
END_TEST

/* The CLI: `verify --roundtrip --privileges` fails on item 1, without the
 * flag it passes; --privileges alone is a usage error. */
static int cli(const char *mdir, const char *args, char *out, size_t n)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "NO_COLOR=1 '%s' -d '%s' -m '%s' %s 2>&1", getenv("STRATA_CLI"),
             test_db_current(), mdir, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t k = fread(out, 1, n - 1, p);
    out[k] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

START_TEST(cli_verify_privileges)
{
    char out[8192];
    char *mdir = test_tmpdir();
    grant_role_create();
    test_write(mdir, "1_t.up.sql", grant_defs[0].up_sql);
    test_write(mdir, "1_t.down.sql", grant_defs[0].down_sql);
    test_write(mdir, "2_grant.up.sql", grant_defs[1].up_sql);
    test_write(mdir, "2_grant.down.sql", grant_defs[1].down_sql);
    ck_assert_msg(cli(mdir, "verify --roundtrip", out, sizeof out) == 0, "%s", out);
    ck_assert_msg(cli(mdir, "verify --roundtrip --privileges", out, sizeof out) == 1, "%s", out);
    assert_has(out, "2 grant: residue");
    assert_has(out, "strata_oracle_app=r/postgres");
    ck_assert_msg(cli(mdir, "verify --privileges", out, sizeof out) == 2, "%s", out);
    /* drift: a grant made by hand is drift only with --privileges */
    ck_assert_msg(cli(mdir, "up", out, sizeof out) == 0, "%s", out);
    test_sql("GRANT UPDATE ON t TO strata_oracle_app");
    ck_assert_msg(cli(mdir, "verify --drift", out, sizeof out) == 0, "%s", out);
    ck_assert_msg(cli(mdir, "verify --drift --privileges", out, sizeof out) == 1, "%s", out);
    assert_has(out, "~ table public.t: acl ");
    assert_has(out, "strata_oracle_app=ar/postgres -> postgres=arwdDxt/postgres, strata_oracle_app=arw/postgres");
    test_rmrf(mdir);
    free(mdir);
}
END_TEST

/* A table access method other than heap and a tablespace other than the
 * database's (in place: no directory to prepare), forgotten by the down. */
START_TEST(roundtrip_access_method_and_tablespace)
{
    char dsn[1024];
    snprintf(dsn, sizeof dsn, "%s options='-c allow_in_place_tablespaces=on'", test_db_current());
    PGconn *c = PQconnectdb(dsn);
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    if (test_query_long("SELECT count(*) FROM pg_tablespace WHERE spcname = 'strata_rt_space'") == 0)
        PQclear(PQexec(c, "CREATE TABLESPACE strata_rt_space LOCATION ''"));
    PQfinish(c);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_tablespace WHERE spcname = 'strata_rt_space'"), 1);
    strata_migration_def defs[] = {
        {1, "setup", "CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler; "
                     "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);",
         "DROP TABLE t; DROP ACCESS METHOD heap2;"},
        {2, "move", "ALTER TABLE t SET ACCESS METHOD heap2, SET TABLESPACE strata_rt_space; "
                    "ALTER INDEX t_a SET TABLESPACE strata_rt_space; ALTER TABLE t CLUSTER ON t_a; "
                    "CREATE MATERIALIZED VIEW IF NOT EXISTS mv TABLESPACE strata_rt_space AS SELECT 1 AS x;",
         "ALTER TABLE t SET TABLESPACE pg_default;"},
        {3, "exact", "ALTER TABLE t SET TABLESPACE pg_default;", "ALTER TABLE t SET TABLESPACE strata_rt_space;"},
    };
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 3), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 1, 2, STRATA_RT_RESIDUE);
    const char *d = strata_roundtrip_get(r, 1)->diff;
    assert_has(d, "~ table public.t: access method (none) -> heap2\n");
    assert_has(d, "~ index public.t_a: tablespace (none) -> strata_rt_space\n");
    assert_has(d, "~ index public.t_a: clustered (none) -> true\n");
    assert_has(d, "+ materialized view public.mv\n");
    ck_assert_ptr_null(strstr(d, "~ table public.t: tablespace"));
    assert_item(r, 2, 3, STRATA_RT_OK);
    strata_roundtrip_report_free(r);
    strata_close(s);
    char *t = snap_text();
    assert_has(t, "\taccess method: heap2\n");
    assert_has(t, "\ttablespace: strata_rt_space\n");
    assert_has(t, "materialized view public.mv\n\tdefinition:  SELECT 1 AS x;\n\ttablespace: strata_rt_space\n");
    free(t);
}
END_TEST

/* A statistics target set by a catalog edit no event trigger sees: the
 * safety net's full snapshot finds it. */
START_TEST(roundtrip_safety_net_sees_statistics_target)
{
    strata_migration_def defs[] = {
        {1, "t", "CREATE TABLE t (a int);", "DROP TABLE t;"},
        {2, "edit", "UPDATE pg_attribute SET attstattarget = 77 WHERE attrelid = 't'::regclass AND attname = 'a';",
         "SELECT 1;"},
    };
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, defs, 2), STRATA_OK);
    strata_roundtrip_report *r = roundtrip(s);
    assert_item(r, 1, 2, STRATA_RT_RESIDUE);
    const strata_roundtrip_item *it = strata_roundtrip_get(r, 1);
    ck_assert_msg(it->error && strstr(it->error, "change tracking missed") &&
                      strstr(it->error, "~ column public.t.a: statistics -1 -> 77"),
                  "%s / %s", it->error ? it->error : "", it->diff ? it->diff : "");
    strata_roundtrip_report_free(r);
    strata_close(s);
}
END_TEST

START_TEST(roundtrip_refuses_non_empty_scratch)
{
    strata_migration_def m = {1, "a", "CREATE TABLE a (x int);", "DROP TABLE a;"};
    strata_roundtrip_report *r = NULL;
    test_sql("CREATE TABLE leftover (x int); CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'");
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    ck_assert_int_eq(strata_verify_roundtrip(s, 0, &r), STRATA_ENOTEMPTY);
    ck_assert_ptr_null(r);
    assert_has(strata_errmsg(s), "is not empty (table public.leftover, column public.leftover.x, "
                                 "function public.f()); give an empty database");
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'a'"), 0);
    strata_close(s);
    /* a history table with rows is not empty either */
    test_db_new();
    s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, &m, 1), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_OK);
    test_sql("DROP TABLE a");
    ck_assert_int_eq(strata_verify_roundtrip(s, 0, &r), STRATA_ENOTEMPTY);
    assert_has(strata_errmsg(s), "its history table records 1 migration(s)");
    ck_assert_int_eq(strata_verify_roundtrip(s, 0, NULL), STRATA_EINVAL);
    ck_assert_int_eq(strata_set_dry_run(s, 1), STRATA_OK);
    ck_assert_int_eq(strata_verify_roundtrip(s, 0, &r), STRATA_EINVAL);
    assert_has(strata_errmsg(s), "turn dry-run off");
    ck_assert_int_eq(strata_verify_roundtrip(NULL, 0, &r), STRATA_EINVAL);
    ck_assert_uint_eq(strata_roundtrip_count(NULL), 0);
    ck_assert_ptr_null(strata_roundtrip_get(NULL, 0));
    strata_roundtrip_report_free(NULL);
    strata_close(s);
}
END_TEST

/* ---- scratch databases and drift ---- */

static long admin_count(const char *sql)
{
    PGconn *c = PQconnectdb(test_admin_dsn());
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return n;
}

START_TEST(scratch_create_check_drop)
{
    strata *s = test_open(), *sc = NULL;
    char *ci = NULL;
    ck_assert_msg(strata_scratch_create(s, &ci) == STRATA_OK, "%s", strata_errmsg(s));
    assert_has(ci, "dbname='strata_scratch_");
    ck_assert_int_eq(admin_count("SELECT count(*) FROM pg_database WHERE datname LIKE 'strata\\_scratch\\_%'"), 1);
    ck_assert_int_eq(strata_open(&sc, ci), STRATA_OK);
    ck_assert_msg(strata_scratch_check_empty(sc) == STRATA_OK, "%s", strata_errmsg(sc));
    strata_schema *x = snap(sc);
    ck_assert_uint_eq(strata_schema_count(x), 2); /* schema public, extension plpgsql */
    strata_schema_free(x);
    PGconn *c = PQconnectdb(ci);
    PQclear(PQexec(c, "CREATE TABLE t (a int)"));
    ck_assert_int_eq(strata_scratch_check_empty(sc), STRATA_ENOTEMPTY);
    assert_has(strata_errmsg(sc), "is not empty (table public.t, column public.t.a)");
    /* dropped although a session (the handle's, c) is still connected */
    ck_assert_msg(strata_scratch_drop(s, ci) == STRATA_OK, "%s", strata_errmsg(s));
    ck_assert_int_eq(admin_count("SELECT count(*) FROM pg_database WHERE datname LIKE 'strata\\_scratch\\_%'"), 0);
    /* again: already gone is no error */
    ck_assert_int_eq(strata_scratch_drop(s, ci), STRATA_OK);
    /* only scratch databases */
    ck_assert_int_eq(strata_scratch_drop(s, test_db_current()), STRATA_EINVAL);
    assert_has(strata_errmsg(s), "only databases named strata_scratch_* are scratch databases");
    ck_assert_int_eq(strata_scratch_drop(s, "dbname='x"), STRATA_EINVAL);
    PQfinish(c);
    strata_close(sc);
    strata_free(ci);
    strata_close(s);
}
END_TEST

static const strata_migration_def drift_defs[] = {
    {1, "users", "CREATE TABLE users (id int PRIMARY KEY, email varchar(255));", "DROP TABLE users;"},
    {2, "idx", "CREATE INDEX users_email_idx ON users (email);", "DROP INDEX users_email_idx;"},
    {3, "later", "CREATE TABLE later (a int);", "DROP TABLE later;"},
};

static char drift_error[4096]; /* strata_errmsg of the last drift() */

static strata_diff *drift(strata *s, int expect_rc)
{
    char *ci = NULL;
    strata_diff *d = NULL;
    ck_assert_msg(strata_scratch_create(s, &ci) == STRATA_OK, "%s", strata_errmsg(s));
    int rc = strata_verify_drift(s, ci, 0, &d);
    ck_assert_msg(rc == expect_rc, "drift: %d %s", rc, strata_errmsg(s));
    snprintf(drift_error, sizeof drift_error, "%s", strata_errmsg(s));
    ck_assert_int_eq(strata_scratch_drop(s, ci), STRATA_OK);
    strata_free(ci);
    return d;
}

START_TEST(drift_found_after_hand_made_alter)
{
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, drift_defs, 3), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, 2), STRATA_OK); /* 3 pending: not expected in the target */
    strata_diff *d = drift(s, STRATA_OK);
    ck_assert_uint_eq(strata_schema_diff_count(d), 0);
    strata_schema_diff_free(d);

    test_sql("ALTER TABLE users ALTER email TYPE text; CREATE TABLE hand (x int); DROP INDEX users_email_idx");
    d = drift(s, STRATA_OK);
    char *t = NULL;
    ck_assert_int_eq(strata_schema_diff_render(d, STRATA_FORMAT_TEXT, &t), STRATA_OK);
    assert_has(t, "~ column public.users.email: type character varying(255) -> text\n");
    assert_has(t, "+ table public.hand\n");
    assert_has(t, "- index public.users_email_idx\n");
    strata_free(t);
    strata_schema_diff_free(d);
    ck_assert_int_eq(admin_count("SELECT count(*) FROM pg_database WHERE datname LIKE 'strata\\_scratch\\_%'"), 0);
    strata_close(s);
}
END_TEST

START_TEST(drift_refuses_what_it_cannot_reproduce)
{
    strata *s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, drift_defs, 3), STRATA_OK);
    ck_assert_int_eq(strata_apply(s, STRATA_LATEST), STRATA_OK);
    strata_close(s);
    /* a program that knows only 1 and 2 */
    s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, drift_defs, 2), STRATA_OK);
    drift(s, STRATA_EUNKNOWN);
    assert_has(drift_error, "version 3 is applied in the target but is not among the migrations");
    /* a scratch that is not empty */
    strata_diff *d = NULL;
    strata_close(s);
    s = test_open();
    ck_assert_int_eq(strata_add_migrations(s, drift_defs, 3), STRATA_OK);
    ck_assert_int_eq(strata_verify_drift(s, test_db_current(), 0, &d), STRATA_ENOTEMPTY);
    ck_assert_ptr_null(d);
    assert_has(strata_errmsg(s), "applying the target's migrations to the scratch database");
    ck_assert_int_eq(strata_verify_drift(s, NULL, 0, &d), STRATA_EINVAL);
    strata_close(s);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("snapshot");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, snapshot_lists_every_kind);
    tcase_add_test(tc, history_table_excluded);
    tcase_add_test(tc, snapshot_is_deterministic);
    tcase_add_test(tc, snapshot_ignores_session_settings);
    tcase_add_test(tc, render_reads_back);
    tcase_add_test(tc, from_text_rejects_bad_input);
    tcase_add_test(tc, diff_names_objects);
    tcase_add_test(tc, diff_column_order_is_its_own_kind);
    tcase_add_test(tc, snapshot_privileges_only_when_asked);
    tcase_add_test(tc, api_edges);
    suite_add_tcase(s, tc);
    tc = tcase_create("roundtrip");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, roundtrip_down_forgets);
    tcase_add_test(tc, roundtrip_down_differs);
    tcase_add_test(tc, roundtrip_down_exact);
    tcase_add_test(tc, roundtrip_failures_and_order);
    tcase_add_test(tc, roundtrip_enum_label_readded_at_end);
    tcase_add_test(tc, roundtrip_runs_like_down);
    tcase_add_test(tc, roundtrip_from_version);
    tcase_add_test(tc, roundtrip_refuses_non_empty_scratch);
    tcase_add_test(tc, roundtrip_tracking_sees_dependents);
    tcase_add_test(tc, roundtrip_tracking_lost_falls_back);
    tcase_add_test(tc, roundtrip_tracking_sees_drops_and_detach);
    tcase_add_test(tc, roundtrip_full_snapshots_without_superuser);
    tcase_add_test(tc, roundtrip_through_pooler);
    tcase_add_test(tc, roundtrip_interrupted_leaves_no_trigger);
    tcase_add_test(tc, roundtrip_safety_net_distrusts);
    tcase_add_test(tc, roundtrip_privileges_only_when_asked);
    tcase_add_test(tc, cli_verify_privileges);
    tcase_add_test(tc, roundtrip_access_method_and_tablespace);
    tcase_add_test(tc, roundtrip_safety_net_sees_statistics_target);
    suite_add_tcase(s, tc);
    tc = tcase_create("scratch");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, scratch_create_check_drop);
    tcase_add_test(tc, drift_found_after_hand_made_alter);
    tcase_add_test(tc, drift_refuses_what_it_cannot_reproduce);
    suite_add_tcase(s, tc);
    return s;
}
