/* A small streaming JSON writer for --json output: it places the commas, so
 * a command writes keys and values in order and gets valid JSON. */
#ifndef STRATA_TOOLS_JSON_H
#define STRATA_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16

typedef struct jw {
    FILE *f;
    int depth;
    bool after_key;
    bool nonempty[JW_MAX_DEPTH];
} jw;

void jw_init(jw *w, FILE *f);
void jw_obj(jw *w);      /* { */
void jw_obj_end(jw *w);  /* } (and a newline at the top level) */
void jw_arr(jw *w);      /* [ */
void jw_arr_end(jw *w);  /* ] */
void jw_key(jw *w, const char *key);
void jw_str(jw *w, const char *s); /* NULL: null */
void jw_int(jw *w, int64_t v);
void jw_bool(jw *w, bool v);
void jw_null(jw *w);

#endif
