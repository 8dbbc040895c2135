/* A small JSON reader for the documents the library hands the CLI (the
 * observe events' messages): objects, arrays, strings, numbers, true, false,
 * null, into a tree. */
#ifndef STRATA_TOOLS_JREAD_H
#define STRATA_TOOLS_JREAD_H

#include <stddef.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_type;

typedef struct jv {
    jv_type type;
    double num;        /* JV_NUM; JV_BOOL: 0 or 1 */
    char *str;         /* JV_STR */
    char **keys;       /* JV_OBJ: keys[i] names items[i] */
    struct jv *items;  /* JV_ARR, JV_OBJ */
    size_t n;
} jv;

/* Parses @text (NUL-terminated) into *@out; -1 on malformed JSON or no memory. */
int jv_parse(const char *text, jv *out);
void jv_free(jv *v);
/* The member @key of object @v, or NULL. */
const jv *jv_get(const jv *v, const char *key);

#endif
