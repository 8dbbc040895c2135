/* The real file system behind the directory reader (see source_dir.h).
 * Files are opened with O_NONBLOCK and checked with fstat before a byte is
 * read: a FIFO named 1_a.sql would otherwise block the reader forever. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_dir.h"

static int fs_list(void *ctx, const char *path, source_entry_fn fn, void *arg, sbuf *err)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int rc = STRATA_OK;
    (void)ctx;
    if (!d) {
        sbuf_printf(err, "%s: cannot open the migration directory: %s "
                    "(create it, or point -m / strata_add_dir at it)", path, strerror(errno));
        return STRATA_EIO;
    }
    while (rc == STRATA_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            rc = fn(arg, de->d_name);
    }
    closedir(d);
    return rc;
}

static int fs_kind(void *ctx, const char *path, sbuf *err)
{
    struct stat st;
    (void)ctx;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return SOURCE_MISSING;
        sbuf_printf(err, "%s: cannot stat: %s", path, strerror(errno));
        return STRATA_EIO;
    }
    if (S_ISREG(st.st_mode))
        return SOURCE_FILE;
    return S_ISDIR(st.st_mode) ? SOURCE_DIR : SOURCE_OTHER;
}

static int read_all(int fd, const char *path, char **out, size_t *len, sbuf *err)
{
    sbuf b;
    char chunk[8192];
    ssize_t n;
    sbuf_init(&b);
    while ((n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sbuf_printf(err, "%s: cannot read: %s", path, strerror(errno));
            sbuf_free(&b);
            return STRATA_EIO;
        }
        sbuf_add(&b, chunk, (size_t)n);
    }
    *len = b.len;
    sbuf_add(&b, "", 0); /* an empty file still gets its NUL */
    if (b.oom || !(*out = sbuf_take(&b))) {
        sbuf_free(&b);
        return STRATA_ENOMEM;
    }
    return STRATA_OK;
}

static int not_regular(const char *path, sbuf *err)
{
    sbuf_printf(err, "%s: not a regular file (a FIFO, socket or device named like a "
                "migration); remove it or rename it", path);
    return STRATA_EIO;
}

static int fs_read(void *ctx, const char *path, char **out, size_t *len, sbuf *err)
{
    struct stat st;
    int rc, fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    (void)ctx;
    if (fd < 0) {
        int e = errno;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
            return not_regular(path, err); /* a socket cannot be opened at all */
        sbuf_printf(err, "%s: cannot read: %s (check the file's permissions)", path, strerror(e));
        return STRATA_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return not_regular(path, err);
    }
    rc = read_all(fd, path, out, len, err);
    close(fd);
    return rc;
}

const source_fs *source_fs_posix(void)
{
    static const source_fs fs = {NULL, fs_list, fs_kind, fs_read};
    return &fs;
}
