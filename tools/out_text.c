/* Text for a terminal: display widths of UTF-8, fitting with an ellipsis,
 * human durations. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "out.h"

void out_duration(char *buf, size_t n, int64_t ms)
{
    if (ms < 0)
        snprintf(buf, n, "%s", "");
    else if (ms < 1000)
        snprintf(buf, n, "%lld ms", (long long)ms);
    else if (ms < 60000)
        snprintf(buf, n, "%.1f s", (double)ms / 1000.0);
    else if (ms < 3600000)
        snprintf(buf, n, "%lld min %02lld s", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
    else
        snprintf(buf, n, "%lld h %02lld min", (long long)(ms / 3600000), (long long)(ms / 60000 % 60));
}

/* One character at @p: its byte length and columns. An invalid byte counts
 * as one column (it is shown as one replacement character by terminals). */
static size_t next_char(const char *p, int *cols)
{
    mbstate_t ms;
    wchar_t wc;
    memset(&ms, 0, sizeof ms);
    size_t k = mbrtowc(&wc, p, MB_CUR_MAX, &ms);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        *cols = 1;
        return 1;
    }
    int w = wcwidth(wc);
    *cols = w < 0 ? 1 : w;
    return k;
}

int out_width(const char *s)
{
    int total = 0, w;
    for (const char *p = s; *p;) {
        p += next_char(p, &w);
        total += w;
    }
    return total;
}

int out_fit(FILE *f, const char *s, int cols)
{
    if (out_width(s) <= cols) {
        fputs(s, f);
        return out_width(s);
    }
    int used = 0, w;
    const char *p = s;
    while (*p) {
        size_t k = next_char(p, &w);
        if (used + w > cols - 1)
            break;
        fwrite(p, 1, k, f);
        used += w;
        p += k;
    }
    fputs("\xe2\x80\xa6", f); /* … */
    return used + 1;
}

/* The terminal's own size first; COLUMNS when it tells none (a serial
 * console, some CI pseudo-terminals report 0). */
int out_term_cols(void)
{
    struct winsize ws;
    if (!isatty(STDERR_FILENO))
        return 0;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    long n = env ? strtol(env, NULL, 10) : 0;
    return n > 0 && n < 10000 ? (int)n : 0;
}
