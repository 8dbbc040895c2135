/* The generator behind `strata-embed` and `strata embed`. */
#ifndef STRATA_TOOLS_EMBED_H
#define STRATA_TOOLS_EMBED_H

#include <stdio.h>

typedef struct embed_opts {
    const char *dir;
    const char *out_c;
    const char *out_h;     /* NULL: no header */
    const char *symbol;    /* default "strata_migrations" */
    const char *depfile;   /* NULL: none */
} embed_opts;

/* Returns 0, or 1 after printing "file:line: message" to @err. */
int embed_run(const embed_opts *o, FILE *err);
/* Parses argv (after the command name); 0 ok, 2 usage. */
int embed_parse_args(embed_opts *o, int argc, char **argv, FILE *err);
void embed_usage(FILE *f, const char *prog);

#endif
