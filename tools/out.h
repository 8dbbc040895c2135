/* Output for people and programs: colour only on a terminal and never with
 * NO_COLOR, a live progress line on a terminal, stable JSON. */
#ifndef STRATA_TOOLS_OUT_H
#define STRATA_TOOLS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "strata.h"

typedef struct out_style {
    bool color;       /* stdout is a terminal and NO_COLOR is unset */
    bool live;        /* stderr is a terminal: progress rewrites one line */
    bool live_open;
    const char *bold, *red, *green, *yellow, *dim, *reset;
} out_style;

void out_style_init(out_style *st);
void out_live(const out_style *st, const char *msg);
void out_live_end(const out_style *st);
void out_json_string(FILE *f, const char *s);
/* "850 ms", "30.5 s", "2 min 05 s", "1 h 02 min"; "" for a negative value. */
void out_duration(char *buf, size_t n, int64_t ms);
/* Columns @s takes on a terminal (UTF-8, wide characters count 2; needs
 * setlocale(LC_CTYPE, "") first). */
int out_width(const char *s);
/* Writes @s cut to at most @cols columns, ending in "…" when cut; returns
 * the columns written. */
int out_fit(FILE *f, const char *s, int cols);
/* Columns of the terminal on stderr (0 when not a terminal). */
int out_term_cols(void);
void out_status_table(FILE *f, const strata_status_list *st, const out_style *style);
void out_status_json(FILE *f, const strata_status_list *st);

#endif
