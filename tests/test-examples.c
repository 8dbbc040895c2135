/* The three ways strata is used, against a real PostgreSQL: a service with
 * embedded migrations, the Python ctypes binding, and a consumer built
 * from the installed package with nothing but pkg-config. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

const bool test_needs_pg = true;

static const char *build_root(void)
{
    const char *b = getenv("STRATA_BUILD_ROOT");
    ck_assert_msg(b != NULL, "STRATA_BUILD_ROOT not set (run through meson test)");
    return b;
}

static const char *source_root(void)
{
    const char *s = getenv("STRATA_SOURCE_ROOT");
    ck_assert_msg(s != NULL, "STRATA_SOURCE_ROOT not set (run through meson test)");
    return s;
}

/* Runs a shell command with DATABASE_URL set; returns its exit code and
 * its combined output in @out. */
static int sh(char *out, size_t n, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    setenv("DATABASE_URL", test_db_current(), 1);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t k = fread(out, 1, n - 1, p);
    out[k] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *extra_cflags(void)
{
    const char *f = getenv("STRATA_TEST_CFLAGS");
    return f ? f : "";
}

static char *history_fingerprint(void)
{
    return test_query_value("SELECT string_agg(version || '|' || name || '|' || encode(checksum, 'hex') "
                            "|| '|' || checksum_algo || '|' || phase || '|' || (statements_done IS NOT NULL), "
                            "';' ORDER BY version) FROM strata_history");
}

START_TEST(service_migrates_itself)
{
    char out[8192];
    int rc = sh(out, sizeof out, "'%s/examples/strata-service' 2>&1", build_root());
    ck_assert_msg(rc == 0, "service failed: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "service ready"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history WHERE state = 'applied'"), 3);
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                     "WHERE c.relname = 'accounts_created_at' AND i.indisvalid"), 1);
}
END_TEST

/* The same migrations from the directory and from the embedded array record
 * identical versions, names, directives and checksums. */
START_TEST(embedded_equals_directory)
{
    char out[8192], dir[1024];
    ck_assert_int_eq(sh(out, sizeof out, "'%s/examples/strata-service' 2>&1", build_root()), 0);
    char *embedded = history_fingerprint();
    test_db_new();
    strata *s = test_open();
    snprintf(dir, sizeof dir, "%s/examples/service/migrations", source_root());
    ck_assert_int_eq(strata_add_dir(s, dir), STRATA_OK);
    ck_assert_msg(strata_apply(s, STRATA_LATEST) == STRATA_OK, "%s", strata_errmsg(s));
    strata_close(s);
    char *from_dir = history_fingerprint();
    ck_assert_ptr_nonnull(embedded);
    ck_assert_str_eq(embedded, from_dir);
    ck_assert_ptr_nonnull(strstr(from_dir, "index created at")); /* names with spaces */
    ck_assert_ptr_nonnull(strstr(from_dir, "|true;"));           /* the no-transaction directive */
    free(embedded);
    free(from_dir);
}
END_TEST

START_TEST(python_ctypes_binding)
{
    char out[8192];
    /* a sanitized libstrata needs its runtime loaded before python */
    const char *pre = getenv("STRATA_TEST_PRELOAD");
    char env[600] = "";
    if (pre && *pre)
        snprintf(env, sizeof env, "LD_PRELOAD='%s' ASAN_OPTIONS=detect_leaks=0 ", pre);
    int rc = sh(out, sizeof out, "%sSTRATA_LIB='%s/lib/libstrata.so' python3 '%s/examples/python/demo.py' "
                                 "'%s/examples/service/migrations' 2>&1",
                env, build_root(), source_root(), source_root());
    ck_assert_msg(rc == 0, "python demo failed: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "applied 20240101120000 create accounts"));
    ck_assert_ptr_nonnull(strstr(out, "20240301000000   add display name       pending"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM strata_history"), 2);
}
END_TEST

/* Tricky text: backslashes, both quotes, tabs, a trigraph, UTF-8, CR, and a
 * statement longer than C11's 4095-character literal guarantee. */
START_TEST(embed_round_trip_pedantic)
{
    char *d = test_tmpdir(), out[16384], path[1200];
    static char big[16000];
    char *p = big;
    p += sprintf(p, "CREATE TABLE wide AS SELECT ");
    for (int i = 0; i < 900; i++)
        p += sprintf(p, "%s%d AS c%d", i ? ", " : "", i, i);
    strcpy(p, ";\n");
    ck_assert_int_gt((int)strlen(big), 10000);
    test_write(d, "1_tricky.up.sql",
               "-- strata:lock-timeout 2s\nSELECT 'it''s', E'back\\\\slash\\n', \"Quoted\"\t FROM (SELECT 1 AS \"Quoted\") q;\n"
               "SELECT '?\?=' AS trigraph, 'héllo wörld ✓ 日本' AS utf8;\r\nSELECT $$ \\0 \\x41 \\101 $$;\n");
    test_write(d, "1_tricky.down.sql", "SELECT '\\\\';\n");
    test_write(d, "2_big.sql", big);
    snprintf(path, sizeof path, "%s/checker.c", d);
    FILE *f = fopen(path, "w");
    fputs("#include <stdio.h>\n#include <string.h>\n#include <strata.h>\n#include \"gen.h\"\n"
          "int main(int argc, char **argv) {\n"
          "  strata *s = NULL; strata_migration_def d;\n"
          "  if (strata_open(&s, NULL) || strata_add_dir(s, argv[1])) return 2;\n"
          "  if (strata_migration_count(s) != gen_count) return 3;\n"
          "  for (size_t i = 0; i < gen_count; i++) {\n"
          "    strata_migration_get(s, i, &d);\n"
          "    if (d.version != gen[i].version || strcmp(d.name, gen[i].name) || strcmp(d.up_sql, gen[i].up_sql)) return 4;\n"
          "    if ((d.down_sql == NULL) != (gen[i].down_sql == NULL)) return 5;\n"
          "    if (d.down_sql && strcmp(d.down_sql, gen[i].down_sql)) return 6;\n"
          "  }\n  (void)argc; strata_close(s); puts(\"round trip ok\"); return 0;\n}\n", f);
    fclose(f);
    int rc = sh(out, sizeof out,
                "cd '%s' && '%s/tools/strata-embed' -o gen.c --header gen.h --symbol gen . 2>&1 && "
                "cc -std=c11 -Wall -Wextra -pedantic -Werror %s -I'%s/include' gen.c checker.c "
                "-L'%s/lib' -lstrata -o checker 2>&1 && LD_LIBRARY_PATH='%s/lib' ./checker . 2>&1",
                d, build_root(), extra_cflags(), source_root(), build_root(), build_root());
    ck_assert_msg(rc == 0, "round trip failed (%d): %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "round trip ok"));
    /* and a malformed directory fails the build naming the file */
    test_write(d, "3_bad.sql", "-- strata:colour blue\nSELECT 1;");
    rc = sh(out, sizeof out, "cd '%s' && '%s/tools/strata-embed' -o gen2.c . 2>&1", d, build_root());
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_nonnull(strstr(out, "3_bad.sql:1: unknown directive"));
    free(d);
}
END_TEST

/* meson install into a staging directory, then a consumer built with
 * nothing but `pkg-config --cflags --libs strata` migrates a real database
 * from compiled-in migrations. */
START_TEST(installed_package_consumer)
{
    char *d = test_tmpdir(), out[16384];
    int rc = sh(out, sizeof out,
                "set -e; cd '%s'; meson install -C '%s' --no-rebuild --destdir \"$PWD/stage\" >install.log 2>&1 || "
                "{ cat install.log; exit 1; }; "
                "pc=$(dirname \"$(find stage -name strata.pc | head -n1)\"); "
                "lib=$(dirname \"$(find stage -name 'libstrata.so' | head -n1)\"); "
                "embed=$(find stage -name strata-embed -type f | head -n1); "
                "test -n \"$pc\" -a -n \"$lib\" -a -n \"$embed\"; "
                "test -f \"$(find stage -name strata.h | head -n1)\"; "
                "test -n \"$(find stage -name strata.1)\" -a -n \"$(find stage -name libstrata.3)\" -a -n \"$(find stage -name strata-embed.1)\"; "
                "export PKG_CONFIG_PATH=\"$PWD/$pc\" PKG_CONFIG_SYSROOT_DIR=\"$PWD/stage\"; "
                "LD_LIBRARY_PATH=\"$PWD/$lib\" \"$embed\" -o migrations.c --header migrations.h --symbol app_migrations "
                "'%s/examples/subproject/migrations'; "
                "cc -std=c11 -Wall -Wextra -Werror %s '%s/examples/subproject/main.c' migrations.c -I. "
                "$(pkg-config --cflags --libs strata) -o consumer; "
                "LD_LIBRARY_PATH=\"$PWD/$lib\" ./consumer 2>&1",
                d, build_root(), source_root(), extra_cflags(), source_root());
    ck_assert_msg(rc == 0, "install consumer failed (%d): %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "consumer: 1 migrations current"));
    ck_assert_int_eq(test_query_long("SELECT count(*) FROM pg_class WHERE relname = 'notes'"), 1);
    free(d);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("examples");
    TCase *tc = tcase_create("examples");
    tcase_add_checked_fixture(tc, (SFun)test_db_new, NULL);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, service_migrates_itself);
    tcase_add_test(tc, embedded_equals_directory);
    tcase_add_test(tc, python_ctypes_binding);
    tcase_add_test(tc, embed_round_trip_pedantic);
    tcase_add_test(tc, installed_package_consumer);
    suite_add_tcase(s, tc);
    return s;
}
