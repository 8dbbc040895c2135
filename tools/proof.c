/* The proofs of `strata verify` that need a scratch database. When strata
 * creates the scratch database, the risky work (migrations, downs) runs in a
 * child process and the parent drops the database whatever happens to the
 * child: a failure, a crash, SIGINT or SIGTERM. */
#include "proof.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

/* Parent: pass the signal on to the child and keep going, to drop. */
static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static int roundtrip(cli *c, const proof_opts *o, const char *scratch)
{
    strata_roundtrip_report *rep = NULL;
    char *text = NULL;
    int rc;
    c->url = scratch;
    if ((rc = cli_prepare(c, false, true)))
        return rc;
    if (!c->verbose)
        strata_set_event_callback(c->s, NULL, NULL); /* each up and down twice: noise */
    if ((rc = strata_verify_roundtrip_flags(c->s, o->from, o->flags, &rep))) {
        strata_roundtrip_report_free(rep);
        return cli_fail(c, rc, o->scratch ? "verify --roundtrip --scratch" : "verify --roundtrip");
    }
    if ((rc = strata_roundtrip_render(rep, c->json ? STRATA_FORMAT_JSON : STRATA_FORMAT_TEXT, &text))) {
        strata_roundtrip_report_free(rep);
        return cli_fail(c, rc, "verify --roundtrip");
    }
    size_t bad = strata_roundtrip_failures(rep), n = strata_roundtrip_count(rep);
    fputs(text, stdout);
    if (c->json && (!*text || text[strlen(text) - 1] != '\n'))
        fputc('\n', stdout);
    strata_free(text);
    strata_roundtrip_report_free(rep);
    if (!c->quiet && !c->json && bad)
        fprintf(stderr, "roundtrip: %zu of %zu migration(s) fail: the down fails or does not restore the "
                        "schema\n", bad, n);
    else if (!c->quiet && !c->json)
        fprintf(stderr, "roundtrip: %zu migration(s) checked; every down restores the schema\n", n);
    return bad ? EXIT_FAIL : EXIT_OK;
}

static int drift(cli *c, const proof_opts *o, const char *scratch)
{
    strata_diff *d = NULL;
    char *text = NULL;
    int rc;
    if ((rc = cli_prepare(c, false, true)))
        return rc;
    if (!c->verbose)
        strata_set_event_callback(c->s, NULL, NULL);
    if ((rc = strata_verify_drift(c->s, scratch, o->flags, &d))) {
        strata_schema_diff_free(d);
        return cli_fail(c, rc, "verify --drift");
    }
    if ((rc = strata_schema_diff_render(d, c->json ? STRATA_FORMAT_JSON : STRATA_FORMAT_TEXT, &text))) {
        strata_schema_diff_free(d);
        return cli_fail(c, rc, "verify --drift");
    }
    size_t n = strata_schema_diff_count(d);
    strata_schema_diff_free(d);
    if (c->json)
        printf("{\"drift\": %s, \"diff\": %s}\n", n ? "true" : "false", text);
    else
        fputs(text, stdout);
    strata_free(text);
    if (!c->quiet && !c->json && n)
        fprintf(stderr, "drift: %zu difference(s) from what the applied migrations build (\"+\": only in "
                        "the database, \"-\": missing from it)\n", n);
    else if (!c->quiet && !c->json)
        fputs("drift: none; the database is what its applied migrations build\n", stderr);
    return n ? EXIT_FAIL : EXIT_OK;
}

static int work(cli *c, const proof_opts *o, const char *scratch)
{
    return o->roundtrip ? roundtrip(c, o, scratch) : drift(c, o, scratch);
}

/* Runs work() in a child; the child's exit code, or 128 + its signal. */
static int in_child(cli *c, const proof_opts *o, const char *scratch)
{
    struct sigaction sa, old_int, old_term;
    int st = 0;
    fflush(NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward; /* no SA_RESTART: waitpid returns on a signal */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int rc = work(c, o, scratch);
        cli_free(c);
        fflush(NULL);
        _exit(rc);
    }
    if (pid < 0)
        return cli_error(c, "error", "verify: cannot start the worker process: %s", strerror(errno));
    child_pid = pid;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    child_pid = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The scratch database's name, for messages (never the whole conninfo: it
 * may hold a password). */
static const char *db_name(const char *conninfo)
{
    const char *p = strstr(conninfo, "strata_scratch_");
    return p ? p : "the scratch database";
}

int proof_run(cli *c, const proof_opts *o)
{
    char *scratch = NULL;
    int rc, drop_rc;
    if (o->scratch)
        return work(c, o, o->scratch); /* the user's database: nothing to drop */
    if ((rc = cli_prepare(c, false, true)))
        return rc;
    if ((rc = strata_scratch_create(c->s, &scratch)))
        return cli_fail(c, rc, "verify: creating a scratch database (or give one with --scratch URL)");
    /* the child makes its own connections: none is shared across fork */
    strata_close(c->s);
    c->s = NULL;
    rc = in_child(c, o, scratch);
    if ((drop_rc = cli_prepare(c, false, false)) == EXIT_OK && (drop_rc = strata_scratch_drop(c->s, scratch)))
        drop_rc = cli_fail(c, drop_rc, "verify: dropping the scratch database");
    int len = (int)strcspn(db_name(scratch), " '&?");
    if (drop_rc)
        fprintf(stderr, "strata: drop %.*s by hand\n", len, db_name(scratch));
    else if (rc > 128 && !c->quiet)
        fprintf(stderr, "strata: verify interrupted (signal %d); %.*s dropped\n", rc - 128, len,
                db_name(scratch));
    strata_free(scratch);
    return rc ? rc : drop_rc;
}
