/* strata schema: the database's schema snapshot (text or JSON), written to
 * stdout or a file, or checked against a committed file (--check). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct schema_opts {
    const char *out, *check;
    int32_t flags;
} schema_opts;

static int parse(cli *c, schema_opts *o, int argc, char **argv)
{
    static const struct option longs[] = {{"output", required_argument, NULL, 'o'},
                                          {"check", required_argument, NULL, 'c'},
                                          {"privileges", no_argument, NULL, 'p'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int ch;
    memset(o, 0, sizeof *o);
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+o:", longs, NULL)) != -1) {
        switch (ch) {
        case 'o': o->out = optarg; break;
        case 'c': o->check = optarg; break;
        case 'p': o->flags |= STRATA_SCHEMA_PRIVILEGES; break;
        case 'h': cli_help(stdout, "schema"); return -1;
        default: return cli_usage_error(c, "schema: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error(c, "schema: unexpected argument '%s'", argv[optind]);
    if (o->out && o->check)
        return cli_usage_error(c, "schema: -o and --check exclude each other%s", "");
    return EXIT_OK;
}

/* The whole file in memory (snapshots are at most a few MB). */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, k;
    if (!f)
        return NULL;
    do {
        if (n + 65536 > cap) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 131072);
            if (!p) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = p;
        }
        n += k = fread(buf + n, 1, cap - n, f);
    } while (k > 0);
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int write_out(cli *c, const char *path, const char *text)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f)
        return cli_error(c, "io", "schema -o %s: %s", path, strerror(errno));
    fputs(text, f);
    if (path && fclose(f) != 0)
        return cli_error(c, "io", "schema -o %s: %s", path, strerror(errno));
    if (!path)
        fflush(stdout);
    return EXIT_OK;
}

static int check(cli *c, const schema_opts *o, strata_schema *db)
{
    size_t len = 0;
    char errbuf[256] = "", *rendered = NULL;
    char *text = read_all(o->check, &len);
    strata_schema *want = NULL;
    strata_diff *d = NULL;
    int rc;
    if (!text)
        return cli_error(c, "io", "schema --check %s: %s", o->check, strerror(errno));
    rc = strata_schema_from_text(&want, text, len, errbuf, sizeof errbuf);
    free(text);
    if (rc)
        return cli_error(c, cli_code_name(rc), "schema --check %s: %s (write it with `strata schema -o %s`)",
                         o->check, errbuf[0] ? errbuf : "cannot be read", o->check);
    rc = strata_schema_diff(want, db, &d);
    strata_schema_free(want);
    if (rc == 0)
        rc = strata_schema_diff_render(d, c->json ? STRATA_FORMAT_JSON : STRATA_FORMAT_TEXT, &rendered);
    if (rc) {
        strata_schema_diff_free(d);
        return cli_error(c, cli_code_name(rc), "schema --check: %s", "out of memory");
    }
    size_t n = strata_schema_diff_count(d);
    strata_schema_diff_free(d);
    if (c->json)
        printf("{\"ok\": %s, \"diff\": %s}\n", n ? "false" : "true", rendered);
    else
        fputs(rendered, stdout);
    strata_free(rendered);
    if (n && !c->quiet)
        fprintf(stderr, "schema: the database differs from %s in %zu place(s) (\"-\": only in the file, "
                        "\"+\": only in the database)\n", o->check, n);
    else if (!n && !c->quiet && !c->json)
        fprintf(stderr, "schema: the database matches %s\n", o->check);
    return n ? EXIT_FAIL : EXIT_OK;
}

int cmd_schema(cli *c, int argc, char **argv)
{
    schema_opts o;
    strata_schema *sc = NULL;
    char *text = NULL;
    int rc = parse(c, &o, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = cli_prepare(c, false, false)))
        return rc;
    if ((rc = strata_schema_snapshot(c->s, o.flags, &sc)))
        return cli_fail(c, rc, "schema");
    if (o.check) {
        rc = check(c, &o, sc);
    } else if ((rc = strata_schema_render(sc, c->json ? STRATA_FORMAT_JSON : STRATA_FORMAT_TEXT, &text))) {
        rc = cli_error(c, cli_code_name(rc), "schema: %s", "out of memory");
    } else {
        rc = write_out(c, o.out, text);
    }
    strata_free(text);
    strata_schema_free(sc);
    return rc;
}
