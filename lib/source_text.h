/* Text helpers shared by the readers of migration files (source_dir.c,
 * directives.c, migset.c). Private to libstrata. */
#ifndef STRATA_SOURCE_TEXT_H
#define STRATA_SOURCE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

/* End of the line starting at @p: the first '\n' or '\r', or the NUL. A
 * lone '\r' ends a line as it does for PostgreSQL's `--` comments, so the
 * readers never see two lines where the server sees one (or the reverse). */
const char *text_line_end(const char *p);
/* Start of the line after the one ending at @eol (skips "\r\n" as one);
 * NULL when @eol is the end of the text. */
const char *text_line_next(const char *eol);
/* Space as the SQL scanner sees it, without the line ends. */
bool text_is_blank(char c);

/* True when @sql holds at least one statement for PostgreSQL's scanner:
 * comments (both kinds), white space (form feeds included) and lone ';'
 * are not statements. Text the scanner refuses counts as a statement (the
 * server will say what is wrong with it). */
bool sql_holds_statement(const char *sql);
/* The text of the first comment of @sql that is not a directive or another
 * tool's marker, on one line, trimmed and without its `--` or `/ *`; NULL
 * when there is none (or out of memory). The caller frees it. */
char *sql_first_comment(const char *sql);

#endif
