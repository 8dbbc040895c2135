/* The wrappers behind oom_hook.h. Test-only global state: the library
 * itself holds none. */
#include "oom_hook.h"

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static bool armed, hit;
static long target, seen;

void oom_arm(long n)
{
    target = n;
    seen = 0;
    hit = false;
    armed = true;
}

bool oom_disarm(void)
{
    armed = false;
    return hit;
}

static bool fail_now(void)
{
    if (!armed || ++seen != target)
        return false;
    hit = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fail_now() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}
