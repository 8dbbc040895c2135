/* Fuzz target: strata-embed's generator (tools/embed.c) on a directory
 * built from the input (fz_tree). Property: the generated C holds every
 * migration byte-exactly. Checked in-process by reading the generated file
 * back the way a C compiler would (translation phases 1-2: trigraphs, then
 * backslash-newline splices; comments; string literal escapes and
 * concatenation; char arrays), so a comment or literal that breaks out of
 * its place is caught. The replay test (replay.c, FUZZ_EMBED_CC set) also
 * compiles the generated file with the C compiler, links it with
 * embed-check.c and compares what the program holds. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "embed.h"
#include "fuzz.h"
#include "fuzz_embed.h"
#include "strata.h"

#define SYM "fz"

/* Phase 1-2 of C translation (-std=c11 keeps trigraphs). In place. */
static void translate(char *s)
{
    static const char tri[] = "=(/)'<!>-", rep[] = "#[\\]^{|}~";
    char *w = s;
    for (const char *r = s; *r;) {
        const char *t = r[0] == '?' && r[1] == '?' && r[2] ? strchr(tri, r[2]) : NULL;
        if (t) {
            *w++ = rep[t - tri];
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    w = s;
    for (const char *r = s; *r;) {
        if (r[0] == '\\' && r[1] == '\n')
            r += 2;
        else
            *w++ = *r++;
    }
    *w = '\0';
}

static const char *skip_space_comments(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++;
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e)
                fz_fail("unterminated comment");
            p = e + 2;
        } else {
            return p;
        }
    }
}

static int octal(const char **p)
{
    int v = 0, k = 0;
    while (k < 3 && **p >= '0' && **p <= '7') {
        v = v * 8 + (**p - '0');
        (*p)++;
        k++;
    }
    return v;
}

/* Decodes concatenated literals or a {n, n, ...} array at *pp into @out. */
static size_t decode_value(const char **pp, char *out)
{
    const char *p = skip_space_comments(*pp);
    size_t n = 0;
    if (*p == '{') {
        char *e;
        p++;
        for (;;) {
            p = skip_space_comments(p);
            if (*p == '}')
                break;
            long v = strtol(p, &e, 10);
            if (e == p || v < 0 || v > 255)
                fz_fail("bad array element at \"%.20s\"", p);
            out[n++] = (char)v;
            p = skip_space_comments(e);
            if (*p == ',')
                p++;
        }
        p++;
        if (n == 0 || out[n - 1] != '\0')
            fz_fail("array without terminating 0");
        n--;
    } else {
        while (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (!*p || *p == '\n')
                    fz_fail("string literal not closed on its line");
                if (*p != '\\') {
                    out[n++] = *p;
                    continue;
                }
                p++;
                switch (*p) {
                case 'n': out[n++] = '\n'; break;
                case 't': out[n++] = '\t'; break;
                case '\\': case '"': case '?': case '\'': out[n++] = *p; break;
                default:
                    if (*p < '0' || *p > '7')
                        fz_fail("unknown escape \\%c", *p);
                    out[n++] = (char)octal(&p);
                    p--;
                }
            }
            p = skip_space_comments(p + 1);
        }
    }
    *pp = p;
    out[n] = '\0';
    return n;
}

static const char *expect(const char *p, const char *what)
{
    p = skip_space_comments(p);
    if (strncmp(p, what, strlen(what)) != 0)
        fz_fail("expected \"%s\", found \"%.40s\"", what, p);
    return p + strlen(what);
}

static const char *check_text(const char *p, int64_t v, const char *part, const char *want,
                              char *buf)
{
    char decl[128];
    snprintf(decl, sizeof decl, "static const char " SYM "_%lld_%s[] =", (long long)v, part);
    p = expect(p, decl);
    size_t n = decode_value(&p, buf);
    if (n != strlen(want) || memcmp(buf, want, n) != 0)
        fz_fail("version %lld %s: embedded text differs (%zu vs %zu bytes)", (long long)v, part,
                n, strlen(want));
    return expect(p, ";");
}

void fz_embed_check_text(const char *gen, const strata *s)
{
    size_t cap = strlen(gen) + 1;
    char *text = strdup(gen), *buf = malloc(cap);
    if (!text || !buf)
        fz_fail("out of memory");
    translate(text);
    const char *p = expect(text, "#include <stddef.h>");
    p = expect(p, "#include <strata.h>");
    for (size_t i = 0; i < strata_migration_count(s); i++) {
        strata_migration_def d;
        strata_migration_get(s, i, &d);
        p = check_text(p, d.version, "up", d.up_sql, buf);
        if (d.down_sql)
            p = check_text(p, d.version, "down", d.down_sql, buf);
        p = check_text(p, d.version, "name", d.name, buf);
    }
    expect(p, "const strata_migration_def " SYM "[] = {");
    free(buf);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *root = fz_tmpdir(), out[4200], mig[4200];
    strata *s = NULL;
    snprintf(mig, sizeof mig, "%s/m", root);
    snprintf(out, sizeof out, "%s/out.c", root);
    mkdir(mig, 0700);
    fz_tree(mig, data, size);
    embed_opts o = {.dir = mig, .out_c = out, .symbol = SYM};
    FILE *devnull = fopen("/dev/null", "w");
    int rc = embed_run(&o, devnull);
    fclose(devnull);
    if (strata_open(&s, NULL) != STRATA_OK)
        fz_fail("strata_open(NULL) failed");
    int read_rc = strata_add_dir(s, mig);
    if ((rc == 0) != (read_rc == STRATA_OK))
        fz_fail("embed exit %d but the reader says %d", rc, read_rc);
    if (rc == 0) {
        char *gen = fz_slurp(out, NULL);
        if (!gen)
            fz_fail("no generated file");
        fz_embed_check_text(gen, s);
        fz_embed_check_compiled(out, s);
        free(gen);
    }
    strata_close(s);
    fz_rmrf(root);
    free(root);
    return 0;
}
