/* strata new: create the files of a new migration. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cmd_new(cli *c, int argc, char **argv)
{
    bool simple = false;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--simple") == 0)
            simple = true;
        else if (strcmp(argv[i], "--help") == 0) {
            puts("usage: strata new NAME [--simple]\nCreates <UTC yyyymmddhhmmss>_<name>.up.sql and "
                 ".down.sql in the migrations directory (one .sql with --simple).");
            return EXIT_OK;
        } else if (argv[i][0] == '-' || name)
            return cli_usage_error("new: unexpected argument '%s'", argv[i]);
        else
            name = argv[i];
    }
    if (!name || !*name)
        return cli_usage_error("new: NAME is required%s", "");
    char stem[256], ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%d%H%M%S", &tm);
    snprintf(stem, sizeof stem, "%s_%s", ts, name);
    for (char *p = stem; *p; p++)
        if (*p == ' ' || *p == '/' || *p == '-')
            *p = '_';
    if (mkdir(c->dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "strata: %s: cannot create the migrations directory: %s\n", c->dir, strerror(errno));
        return EXIT_FAIL;
    }
    const char *suffixes[2] = {simple ? ".sql" : ".up.sql", ".down.sql"};
    for (int k = 0; k < (simple ? 1 : 2); k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s%s", c->dir, stem, suffixes[k]);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0) {
            fprintf(stderr, "strata: %s: %s (not overwritten)\n", path, strerror(errno));
            return EXIT_FAIL;
        }
        const char *body = k == 0 ? "-- Write the migration here.\n" : "-- Write the revert here.\n";
        if (write(fd, body, strlen(body)) < 0 || close(fd) != 0) {
            fprintf(stderr, "strata: %s: %s\n", path, strerror(errno));
            return EXIT_FAIL;
        }
        printf("%s\n", path);
    }
    return EXIT_OK;
}

