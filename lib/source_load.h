/* Loading one migration's files through a source_fs (source_load.c).
 * Private to libstrata. Each loader fills @m's up/down SQL, their first
 * lines and the down's source; migration_finish() does the rest. */
#ifndef STRATA_SOURCE_LOAD_H
#define STRATA_SOURCE_LOAD_H

#include "source_dir.h"

/* "@dir/@name" (one '/'); NULL when out of memory. */
char *source_join(const char *dir, const char *name);
/* A whole file; refuses NUL bytes (naming the line); drops a UTF-8 BOM. */
int source_read_text(const source_fs *fs, char **out, const char *path, sbuf *err);

/* One file, with dbmate or goose markers or none (the whole file is up). */
int source_load_simple(const source_fs *fs, migration *m, const char *path, sbuf *err);
/* A diesel directory: up.sql, down.sql when present, metadata.toml. */
int source_load_diesel(const source_fs *fs, migration *m, const char *dirpath, sbuf *err);
/* A pair; @down may be NULL (no down). */
int source_load_pair(const source_fs *fs, migration *m, const char *up, const char *down,
                     sbuf *err);

#endif
