/* Schema snapshots, diff, the rollback proof and drift (issue 12). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "ALTER TABLE cache REPLICA IDENTITY FULL;\n";

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

Suite *test_suite(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("snapshot");
    tcase_add_checked_fixture(tc, fresh_db, NULL);
    tcase_add_test(tc, snapshot_lists_every_kind);
    tcase_add_test(tc, history_table_excluded);
    tcase_add_test(tc, snapshot_is_deterministic);
    tcase_add_test(tc, render_reads_back);
    tcase_add_test(tc, from_text_rejects_bad_input);
    tcase_add_test(tc, diff_names_objects);
    tcase_add_test(tc, diff_column_order_is_its_own_kind);
    tcase_add_test(tc, snapshot_privileges_only_when_asked);
    tcase_add_test(tc, api_edges);
    suite_add_tcase(s, tc);
    return s;
}
