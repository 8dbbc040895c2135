/* Shared by the fuzz targets and their replay driver. Each target defines
 * LLVMFuzzerTestOneInput; the same file is linked into a libFuzzer binary
 * (-Dfuzz=true, clang) and into the gcc-built replay test of the normal
 * suite, so a regression input goes through exactly the code that found it. */
#ifndef STRATA_FUZZ_H
#define STRATA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (which may hold NULs: C-string
 * consumers then see its first part). Never NULL (aborts). */
char *fz_cstr(const uint8_t *data, size_t size);
/* A fresh directory under $TMPDIR (or /tmp); malloc'd path. */
char *fz_tmpdir(void);
/* Removes @path and everything under it. */
void fz_rmrf(const char *path);
/* Writes a file tree described by @data under @root. The input is text:
 *   "@@ NAME" on a line of its own starts file NAME (at most two levels,
 *   "dir/file"; %XX decodes a byte, so names may hold newlines); the lines
 *   up to the next "@@ " line are its content, byte for byte.
 * Text before the first "@@ " line goes to "1_fuzz.sql", so a bare SQL
 * seed is a one-migration directory. Returns the number of files written. */
int fz_tree(const char *root, const uint8_t *data, size_t size);
/* Fails loudly (abort) with a message: a broken property. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Reads a whole file (malloc'd, NUL-terminated); NULL when unreadable. */
char *fz_slurp(const char *path, size_t *len);

#endif
