/* strata-embed: writes a C source holding a directory's migrations as a
 * strata_migration_def array, read with the library's own reader so the
 * program behaves exactly as if it had read the directory. */
#include "embed.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strata.h"

/* C11 guarantees 4095 characters per string literal after concatenation
 * (gcc -pedantic enforces it); longer texts become char arrays. */
#define LITERAL_MAX 4000

void embed_usage(FILE *f, const char *prog)
{
    fprintf(f, "usage: %s -o OUT.c [--header OUT.h] [--symbol NAME] [--depfile F] DIR\n"
               "Writes DIR's migrations as `const strata_migration_def NAME[]` and\n"
               "`const size_t NAME_count` (default NAME: strata_migrations).\n",
            prog);
}

static bool c_identifier(const char *p)
{
    if (!*p || isdigit((unsigned char)*p))
        return false;
    for (; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return false;
    return true;
}

int embed_parse_args(embed_opts *o, int argc, char **argv, char *msg, size_t msglen)
{
    static const struct option longs[] = {{"output", required_argument, NULL, 'o'},
                                          {"header", required_argument, NULL, 'H'},
                                          {"symbol", required_argument, NULL, 's'},
                                          {"depfile", required_argument, NULL, 'd'},
                                          {"help", no_argument, NULL, 'h'},
                                          {"version", no_argument, NULL, 'V'},
                                          {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof *o);
    o->symbol = "strata_migrations";
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out_c = optarg; break;
        case 'H': o->out_h = optarg; break;
        case 's': o->symbol = optarg; break;
        case 'd': o->depfile = optarg; break;
        case 'h': return EMBED_ARGS_HELP;
        case 'V': return EMBED_ARGS_VERSION;
        default:
            snprintf(msg, msglen, "unknown or incomplete option '%s'", argv[optind - 1]);
            return EMBED_ARGS_USAGE;
        }
    }
    if (!o->out_c)
        snprintf(msg, msglen, "-o OUT.c is required (the C file to write)");
    else if (optind == argc)
        snprintf(msg, msglen, "the migrations DIR is required");
    else if (optind != argc - 1)
        snprintf(msg, msglen, "unexpected argument '%s' (one DIR only)", argv[optind + 1]);
    else if (!c_identifier(o->symbol))
        snprintf(msg, msglen, "--symbol '%s' is not a C identifier", o->symbol);
    else {
        o->dir = argv[optind];
        return EMBED_ARGS_OK;
    }
    return EMBED_ARGS_USAGE;
}

static void put_literal(FILE *f, const char *s)
{
    fputs("\n    \"", f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': fputs("\\\\", f); break;
        case '"': fputs("\\\"", f); break;
        case '?': fputs("\\?", f); break; /* no trigraph can form */
        case '\t': fputs("\\t", f); break;
        case '\n':
            fputs("\\n\"", f);
            if (p[1])
                fputs("\n    \"", f);
            else
                return;
            break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                fprintf(f, "\\%03o", *p); /* always 3 digits: a following digit stays out */
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* The source path as a comment: a path may hold anything, so a byte that
 * could end the comment early ("*" "/", or "*" "\\" newline "/", a line
 * splice) or is not printable ASCII is written as '?'. */
static void put_comment(FILE *f, const char *src)
{
    fputs("/* ", f);
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        bool unsafe = *p < 0x20 || *p >= 0x7f || *p == '\\' || (*p == '*' && p[1] == '/');
        fputc(unsafe ? '?' : *p, f);
    }
    fputs(" */\n", f);
}

static void put_array(FILE *f, const char *s)
{
    size_t n = strlen(s);
    fputs("{", f);
    for (size_t i = 0; i <= n; i++)
        fprintf(f, "%s%d,", i % 16 ? " " : "\n    ", (int)(unsigned char)s[i]);
    fputs("\n}", f);
}

static void put_text(FILE *f, const char *sym, int64_t version, const char *part, const char *s)
{
    fprintf(f, "static const char %s_%lld_%s[] =", sym, (long long)version, part);
    if (strlen(s) <= LITERAL_MAX) {
        if (!*s)
            fputs(" \"\"", f);
        else
            put_literal(f, s);
    } else {
        fputs(" /* longer than a C11 string literal may be */ ", f);
        put_array(f, s);
    }
    fputs(";\n\n", f);
}

static int write_source(const embed_opts *o, const strata *s, FILE *f)
{
    size_t n = strata_migration_count(s);
    fprintf(f, "/* Generated by strata-embed. Do not edit: edit the migrations and rebuild. */\n"
               "#include <stddef.h>\n#include <strata.h>\n\n");
    for (size_t i = 0; i < n; i++) {
        strata_migration_def d;
        strata_migration_get(s, i, &d);
        const char *src = strata_migration_source(s, i);
        put_comment(f, src);
        put_text(f, o->symbol, d.version, "up", d.up_sql);
        if (d.down_sql)
            put_text(f, o->symbol, d.version, "down", d.down_sql);
        fprintf(f, "static const char %s_%lld_name[] =", o->symbol, (long long)d.version);
        put_literal(f, d.name);
        fputs(";\n\n", f);
    }
    fprintf(f, "const strata_migration_def %s[] = {\n", o->symbol);
    for (size_t i = 0; i < n; i++) {
        strata_migration_def d;
        strata_migration_get(s, i, &d);
        fprintf(f, "    {%lldLL, %s_%lld_name, %s_%lld_up, ", (long long)d.version, o->symbol,
                (long long)d.version, o->symbol, (long long)d.version);
        if (d.down_sql)
            fprintf(f, "%s_%lld_down},\n", o->symbol, (long long)d.version);
        else
            fputs("NULL},\n", f);
    }
    if (n == 0)
        fputs("    {0, NULL, NULL, NULL} /* C has no empty arrays; the count is 0 */\n", f);
    fprintf(f, "};\n\nconst size_t %s_count = %zu;\n", o->symbol, n);
    return ferror(f) ? 1 : 0;
}

static int write_header(const embed_opts *o, FILE *f)
{
    fprintf(f, "/* Generated by strata-embed. Do not edit. */\n#ifndef %s_H\n#define %s_H\n\n"
               "#include <stddef.h>\n#include <strata.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n"
               "#endif\n\nextern const strata_migration_def %s[];\nextern const size_t %s_count;\n\n"
               "#ifdef __cplusplus\n}\n#endif\n\n#endif\n",
            o->symbol, o->symbol, o->symbol, o->symbol);
    return ferror(f) ? 1 : 0;
}

static void dep_path(FILE *f, const char *p)
{
    fputc(' ', f);
    for (; *p; p++) {
        if (*p == ' ' || *p == '#' || *p == '\\')
            fputc('\\', f);
        if (*p == '$')
            fputc('$', f);
        fputc(*p, f);
    }
}

/* Every file the reader may look at, and the directories: adding or
 * removing a migration changes a directory's mtime, so ninja regenerates. */
static void dep_dir(FILE *f, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    dep_path(f, dir);
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char p[4096];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth == 0)
            dep_dir(f, p, 1);
        else if (S_ISREG(st.st_mode))
            dep_path(f, p);
    }
    closedir(d);
}

static int write_file(const char *path, const embed_opts *o, const strata *s,
                      int (*fn)(const embed_opts *, const strata *, FILE *), FILE *err)
{
    char tmp[4200];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f) {
        fprintf(err, "%s: cannot write: %s\n", path, strerror(errno));
        return 1;
    }
    int rc = fn(o, s, f);
    if (fclose(f) != 0 || rc) {
        fprintf(err, "%s: write failed\n", path);
        remove(tmp);
        return 1;
    }
    if (rename(tmp, path) != 0) {
        fprintf(err, "%s: cannot replace: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

static int header_fn(const embed_opts *o, const strata *s, FILE *f)
{
    (void)s;
    return write_header(o, f);
}

static int dep_fn(const embed_opts *o, const strata *s, FILE *f)
{
    (void)s;
    dep_path(f, o->out_c);
    fputc(':', f);
    dep_dir(f, o->dir, 0);
    fputc('\n', f);
    return ferror(f) ? 1 : 0;
}

int embed_run(const embed_opts *o, FILE *err)
{
    strata *s = NULL;
    int rc;
    if (strata_open(&s, NULL) != STRATA_OK) {
        fprintf(err, "strata-embed: out of memory\n");
        return 1;
    }
    if (strata_add_dir(s, o->dir) != STRATA_OK) {
        fprintf(err, "%s\n", strata_errmsg(s));
        strata_close(s);
        return 1;
    }
    rc = write_file(o->out_c, o, s, write_source, err);
    if (!rc && o->out_h)
        rc = write_file(o->out_h, o, s, header_fn, err);
    if (!rc && o->depfile)
        rc = write_file(o->depfile, o, s, dep_fn, err);
    strata_close(s);
    return rc;
}
