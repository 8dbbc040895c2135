/* The directory reader and its file-system seam. Private to libstrata.
 *
 * The reader never calls the file system itself: it goes through a
 * source_fs, so a fuzz target or a test can feed it an in-memory tree. The
 * real one (source_fs.c) refuses what would hang or mislead the reader:
 * FIFOs, sockets and devices named like migrations. */
#ifndef STRATA_SOURCE_DIR_H
#define STRATA_SOURCE_DIR_H

#include <stddef.h>

#include "internal.h"

enum source_kind {
    SOURCE_MISSING = 0, /* no such entry */
    SOURCE_FILE = 1,    /* a regular file (after symlinks) */
    SOURCE_DIR = 2,
    SOURCE_OTHER = 3    /* FIFO, socket, device: never read */
};

/* Called once per entry name of a directory ("." and ".." excluded). A
 * nonzero return stops the listing and is returned by list(). */
typedef int (*source_entry_fn)(void *arg, const char *name);

typedef struct source_fs {
    void *ctx;
    /* Lists directory @path. STRATA_EIO with a message naming @path when it
     * cannot be opened. */
    int (*list)(void *ctx, const char *path, source_entry_fn fn, void *arg, sbuf *err);
    /* enum source_kind of @path, or STRATA_EIO (message in @err). */
    int (*kind)(void *ctx, const char *path, sbuf *err);
    /* Whole content of the regular file @path into *out (malloc'd, NUL
     * added, *len without it). Refuses anything that is not a regular file
     * without blocking. STRATA_EIO / STRATA_ENOMEM, message in @err. */
    int (*read)(void *ctx, const char *path, char **out, size_t *len, sbuf *err);
} source_fs;

/* The real file system. */
const source_fs *source_fs_posix(void);

/* Called once per directory entry that is not a migration (not a dotfile),
 * with its path, after the whole directory was read successfully. */
typedef void (*source_skip_fn)(void *arg, const char *path);

int source_read_dir_fs(const source_fs *fs, migset *out, const char *path,
                       source_skip_fn skipped, void *arg, sbuf *err);
int source_read_file_fs(const source_fs *fs, migset *out, const char *path, sbuf *err);

#endif
