/* Rendering a snapshot as text or JSON. The text format, one object per
 * block:
 *     # strata schema 1
 *     table public.users
 *     \tpersistence: permanent
 * Names and values are escaped (backslash, control characters) so that every
 * object and property is exactly one line, whatever it holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define TEXT_HEADER "# strata schema 1\n"

void sch_escape_text(sbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': sbuf_puts(b, "\\\\"); break;
        case '\n': sbuf_puts(b, "\\n"); break;
        case '\r': sbuf_puts(b, "\\r"); break;
        case '\t': sbuf_puts(b, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                sbuf_printf(b, "\\x%02x", *p);
            else
                sbuf_add(b, (const char *)p, 1);
        }
    }
}

void sch_escape_json(sbuf *b, const char *s)
{
    sbuf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sbuf_puts(b, "\\\""); break;
        case '\\': sbuf_puts(b, "\\\\"); break;
        case '\n': sbuf_puts(b, "\\n"); break;
        case '\r': sbuf_puts(b, "\\r"); break;
        case '\t': sbuf_puts(b, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                sbuf_printf(b, "\\u%04x", *p);
            else
                sbuf_add(b, (const char *)p, 1);
        }
    }
    sbuf_puts(b, "\"");
}

static void render_text(sbuf *b, const strata_schema *sc)
{
    sbuf_puts(b, TEXT_HEADER);
    for (size_t i = 0; i < sc->n; i++) {
        const sch_obj *o = &sc->objs[i];
        sbuf_printf(b, "%s ", o->kind);
        sch_escape_text(b, o->name);
        sbuf_puts(b, "\n");
        for (size_t k = 0; k < o->nprops; k++) {
            sbuf_printf(b, "\t%s: ", o->props[k].key);
            sch_escape_text(b, o->props[k].value);
            sbuf_puts(b, "\n");
        }
    }
}

static void render_json(sbuf *b, const strata_schema *sc)
{
    sbuf_puts(b, "{\"format\": \"strata-schema\", \"version\": 1, \"objects\": [");
    for (size_t i = 0; i < sc->n; i++) {
        const sch_obj *o = &sc->objs[i];
        sbuf_puts(b, i ? ",\n  {\"kind\": " : "\n  {\"kind\": ");
        sch_escape_json(b, o->kind);
        sbuf_puts(b, ", \"name\": ");
        sch_escape_json(b, o->name);
        sbuf_puts(b, ", \"props\": {");
        for (size_t k = 0; k < o->nprops; k++) {
            if (k)
                sbuf_puts(b, ", ");
            sch_escape_json(b, o->props[k].key);
            sbuf_puts(b, ": ");
            sch_escape_json(b, o->props[k].value);
        }
        sbuf_puts(b, "}}");
    }
    sbuf_puts(b, sc->n ? "\n]}\n" : "]}\n");
}

STRATA_EXPORT int strata_schema_render(const strata_schema *sc, int32_t format, char **out)
{
    sbuf b;
    char *r;
    if (!sc || !out || (format != STRATA_FORMAT_TEXT && format != STRATA_FORMAT_JSON))
        return STRATA_EINVAL;
    sbuf_init(&b);
    if (format == STRATA_FORMAT_TEXT)
        render_text(&b, sc);
    else
        render_json(&b, sc);
    if (!(r = sbuf_take(&b)))
        return STRATA_ENOMEM;
    *out = r;
    return STRATA_OK;
}
