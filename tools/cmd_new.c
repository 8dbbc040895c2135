/* strata new: create the files of a new migration. */
#include "cli.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* mkdir -p: `-m db/migrations` works in a fresh project, as with dbmate. */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

/* The newest version in @dir (-1: none) and the digits it was written with. */
static int64_t newest_version(const char *dir, int *digits)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int64_t max = -1;
    *digits = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        const char *p = e->d_name;
        int k = 0;
        int64_t v = 0;
        while (isdigit((unsigned char)p[k]) && k < 18)
            v = v * 10 + (p[k++] - '0');
        if (k > 0 && !isdigit((unsigned char)p[k]) && v > max) {
            max = v;
            *digits = k;
        }
    }
    closedir(d);
    return max;
}

/* A UTC timestamp, bumped past the newest version so two `new` in the same
 * second never collide; or with @seq the next sequence number. */
static void next_version(const char *dir, bool seq, char out[static 32], size_t n)
{
    int digits;
    int64_t newest = newest_version(dir, &digits);
    if (seq) {
        snprintf(out, n, "%0*lld", digits > 6 && digits < 19 ? digits : 6, (long long)(newest < 0 ? 1 : newest + 1));
        return;
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%d%H%M%S", &tm);
    long long v = atoll(ts);
    if (newest >= v)
        v = newest + 1;
    snprintf(out, n, "%lld", v);
}

static int write_file(cli *c, const char *path, const char *body)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0)
        return cli_error(c, "io", "%s: %s (not overwritten)", path, strerror(errno));
    if (write(fd, body, strlen(body)) < 0 || close(fd) != 0)
        return cli_error(c, "io", "%s: %s", path, strerror(errno));
    return EXIT_OK;
}

int cmd_new(cli *c, int argc, char **argv)
{
    bool simple = false, seq = false;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--simple") == 0)
            simple = true;
        else if (strcmp(argv[i], "--seq") == 0)
            seq = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_help(stdout, "new");
            return EXIT_OK;
        } else if (argv[i][0] == '-' || name)
            return cli_usage_error(c, "new: unexpected argument '%s'", argv[i]);
        else
            name = argv[i];
    }
    if (!name || !*name)
        return cli_usage_error(c, "new: NAME is required%s", "");
    int err = make_dirs(c->dir);
    if (err)
        return cli_error(c, "io", "%s: cannot create the migrations directory: %s", c->dir, strerror(err));
    char version[32], stem[256], paths[2][4096];
    next_version(c->dir, seq, version, sizeof version);
    snprintf(stem, sizeof stem, "%s_%s", version, name);
    for (char *p = stem; *p; p++)
        if (*p == ' ' || *p == '/' || *p == '-')
            *p = '_';
    const char *suffixes[2] = {simple ? ".sql" : ".up.sql", ".down.sql"};
    int nfiles = simple ? 1 : 2, rc;
    for (int k = 0; k < nfiles; k++) {
        snprintf(paths[k], sizeof paths[k], "%s/%s%s", c->dir, stem, suffixes[k]);
        if ((rc = write_file(c, paths[k], k == 0 ? "-- Write the migration here.\n" : "-- Write the revert here.\n")))
            return rc;
        if (!c->json)
            printf("%s\n", paths[k]);
    }
    if (c->json) {
        jw w;
        jw_init(&w, stdout);
        jw_obj(&w);
        jw_key(&w, "version");
        jw_int(&w, atoll(version));
        jw_key(&w, "files");
        jw_arr(&w);
        for (int k = 0; k < nfiles; k++)
            jw_str(&w, paths[k]);
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    return EXIT_OK;
}
