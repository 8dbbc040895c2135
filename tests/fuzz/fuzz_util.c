/* Helpers of the fuzz targets: input decoding into files, temp dirs. */
#include "fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz property broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        fz_fail("out of memory");
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

char *fz_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/strata-fuzz-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(buf))
        fz_fail("mkdtemp: %s", strerror(errno));
    return strdup(buf);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

void fz_rmrf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one path component into @out (size 256); "" when unusable. */
static void component(const char *p, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 200; i++) {
        int c = (unsigned char)p[i];
        if (c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
            i += 2;
        }
        if (c == '\0' || c == '/')
            c = '_';
        out[k++] = (char)c;
    }
    out[k] = '\0';
    if (!strcmp(out, ".") || !strcmp(out, ".."))
        out[0] = '\0';
}

/* Builds root/dir/file from a header "dir/file" (extra levels dropped). */
static char *tree_path(const char *root, const char *h, size_t n)
{
    char parts[2][256] = {{0}, {0}};
    int k = 0;
    const char *p = h, *end = h + n;
    while (p < end && k < 2) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *e = slash ? slash : end;
        component(p, (size_t)(e - p), parts[k]);
        if (parts[k][0])
            k++;
        p = slash ? slash + 1 : end;
    }
    if (k == 0)
        return NULL;
    char buf[4096];
    if (k == 2) {
        snprintf(buf, sizeof buf, "%s/%s", root, parts[0]);
        mkdir(buf, 0700);
        snprintf(buf, sizeof buf, "%s/%s/%s", root, parts[0], parts[1]);
    } else {
        snprintf(buf, sizeof buf, "%s/%s", root, parts[0]);
    }
    return strdup(buf);
}

static void put_file(const char *path, const uint8_t *d, size_t n)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return; /* a name used as a directory already */
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    if (n)
        fwrite(d, 1, n, f);
    fclose(f);
}

int fz_tree(const char *root, const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size, *body = data;
    char *cur = NULL;
    int headers = 0, files = 0;
    for (;;) {
        bool at_end = p >= end;
        bool header = !at_end && end - p >= 3 && p[0] == '@' && p[1] == '@' && p[2] == ' ';
        const uint8_t *eol;
        if (at_end || header) {
            if (cur) {
                put_file(cur, body, (size_t)(p - body));
                files++;
            } else if (!headers && p > body) {
                char *first = tree_path(root, "1_fuzz.sql", 10);
                put_file(first, body, (size_t)(p - body));
                free(first);
                files++;
            }
            free(cur);
            cur = NULL;
            if (at_end)
                break;
            headers++;
            eol = memchr(p, '\n', (size_t)(end - p));
            cur = tree_path(root, (const char *)p + 3, (size_t)((eol ? eol : end) - (p + 3)));
            p = body = eol ? eol + 1 : end;
            continue;
        }
        eol = memchr(p, '\n', (size_t)(end - p));
        p = eol ? eol + 1 : end;
    }
    return files;
}

char *fz_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, r;
    if (!f)
        return NULL;
    do {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap + 1);
            if (!nb)
                fz_fail("out of memory");
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
