/* The help of every command: `strata help CMD` and `strata CMD --help`
 * print the same text. Keep it in step with doc/strata.1. */
#include <string.h>

#include "cli.h"

static const struct {
    const char *cmd;
    const char *text;
} helps[] = {
    {"new", "usage: strata new NAME [--simple] [--seq]\n"
            "Creates <UTC yyyymmddhhmmss>_<name>.up.sql and .down.sql in the migrations\n"
            "directory (created when missing). The version is bumped past the newest one in\n"
            "the directory, so two `new` in the same second never collide.\n"
            "  --simple   one <version>_<name>.sql file, no down\n"
            "  --seq      sequential version (newest + 1, at least 6 digits) as goose -s\n"
            "             and golang-migrate -seq write\n"
            "example: strata new add_users\n"},
    {"up", "usage: strata up [--to V] [--phase expand|contract|all] [--dry-run] [--observe]\n"
           "       [--allow-out-of-order] [--resume] [--single-transaction] [--lint=LEVEL]\n"
           "       [--ignore-other-history]\n"
           "Applies pending migrations in version order, each in its own transaction.\n"
           "  --to V               stop after version V (V must exist)\n"
           "  --phase P            expand: only expand migrations; contract: only contract\n"
           "  --dry-run            print per migration its file and mode, then every\n"
           "                       statement as it will be sent; touch nothing\n"
           "  --allow-out-of-order apply pending versions older than the newest applied\n"
           "  --resume             continue a dirty no-transaction migration\n"
           "  --single-transaction the whole run in one transaction\n"
           "  --lint=LEVEL         error|warning: refuse migrations with such findings;\n"
           "                       off: no lint (default: print errors, do not block)\n"
           "  --observe            run each migration statement by statement (still one\n"
           "                       transaction) and report per statement its line,\n"
           "                       duration, rows, the locks it took (pg_locks modes) and\n"
           "                       the relations it rewrote; per migration the strongest\n"
           "                       lock per table and how long it was held. It really\n"
           "                       applies them: meant for a staging copy\n"
           "  --ignore-other-history  apply even though strata's history is empty and\n"
           "                       another tool's history table (dbmate, golang-migrate,\n"
           "                       goose, sqlx, diesel, flyway) is present; by default `up`\n"
           "                       refuses, naming it: run `strata adopt` first\n"
           "example: strata up --to 20240101120000\n"},
    {"down", "usage: strata down [--to V | --steps N | --all] [--dry-run] [--allow-empty-down]\n"
             "Reverts applied migrations in reverse order of application; default: 1 step.\n"
             "  --to V              revert every version above V (V itself stays applied;\n"
             "                      V must exist, or be 0)\n"
             "  --steps N           revert the N most recently applied\n"
             "  --all               revert everything, version 0 included\n"
             "  --dry-run           print per migration its file and mode, then every\n"
             "                      statement as it will be sent; touch nothing\n"
             "  --allow-empty-down  run downs that hold only comments as no-ops\n"
             "example: strata down --steps 2\n"},
    {"redo", "usage: strata redo [--dry-run]\n"
             "Reverts the most recently applied migration and applies it again.\n"
             "  --dry-run  print the statements of the down and the up, touch nothing\n"
             "example: strata redo\n"},
    {"status", "usage: strata status [--exit-code]\n"
               "Lists every version, its phase and state (pending, applied, modified,\n"
               "dirty, unknown = applied in the database but not in the directory).\n"
               "  --exit-code  exit 0 when clean, 3 when only pending migrations remain,\n"
               "               1 when a row is dirty, modified or unknown (named on stderr)\n"
               "example: strata status --exit-code\n"},
    {"verify", "usage: strata verify\n"
               "       strata verify --roundtrip [--scratch URL] [--from V] [--privileges]\n"
               "       strata verify --drift [--scratch URL] [--privileges]\n"
               "Checks every applied migration against its file; exit 1 naming each\n"
               "version that was edited, is dirty or is missing from the directory.\n"
               "  --roundtrip    prove the downs in a scratch database: per migration up,\n"
               "                 down, compare the schema with before, up again; one result\n"
               "                 each (ok, down-failed, residue, column-order, reapply-failed,\n"
               "                 no-down, up-failed); exit 1 when a down fails or leaves residue\n"
               "  --from V       check from version V (the ones before are applied unchecked)\n"
               "  --drift        apply the migrations the database records as applied to a\n"
               "                 scratch database and diff: exit 1 on changes made by hand\n"
               "  --scratch URL  an EMPTY database to use (refused when not empty; kept);\n"
               "                 default: strata_scratch_<random> created on the same server\n"
               "                 (needs CREATEDB) and dropped at the end, even on Ctrl-C\n"
               "  --privileges   with --roundtrip or --drift: compare owners and grants too\n"
               "                 (full snapshots each time: slower)\n"
               "example: strata verify --roundtrip\n"},
    {"lint", "usage: strata lint [PATH...] [--format text|json|github] [--pg-version N]\n"
             "                   [--strict] [--all]\n"
             "Checks migrations for statements that lock or break a live database.\n"
             "Without PATH: the migrations directory; with a database only the pending\n"
             "ones (--all: every one); an unreachable database lints offline.\n"
             "Exit 1 when an error (with --strict: a warning too) is found.\n"
             "example: strata lint --strict migrations/\n"},
    {"force", "usage: strata force V --applied|--pending\n"
              "Resolves a row by hand after you checked the database yourself:\n"
              "--applied records V as applied (with its file's checksum), --pending removes\n"
              "its history row so `up` runs it again. Use it for a dirty row whose\n"
              "statements you finished or undid by hand, or an unknown row to forget.\n"
              "example: strata force 20240101120000 --pending\n"},
    {"accept", "usage: strata accept V\n"
               "Records the current checksum of applied migration V whose file was edited\n"
               "on purpose (a comment, a fix that the database already has).\n"
               "example: strata accept 20240101120000\n"},
    {"baseline", "usage: strata baseline V\n"
                 "Marks every migration up to V applied without running it: for a database\n"
                 "that already has that schema (built by hand or by another tool).\n"
                 "example: strata baseline 20240101120000\n"},
    {"embed", "usage: strata embed -o OUT.c [--header OUT.h] [--symbol NAME] [--depfile F] DIR\n"
              "Writes DIR's migrations as C source (see strata-embed(1)).\n"
              "example: strata embed -o migrations.c --header migrations.h migrations\n"},
    {"adopt", "usage: strata adopt [--from TOOL] [--table [SCHEMA.]T]\n"
              "Takes over a database another tool migrated: the versions its history table\n"
              "records as applied are recorded in strata's history as applied, with the\n"
              "checksums of the files in the migrations directory; nothing is run and the\n"
              "other table is left alone. `strata up` then applies only what is new.\n"
              "  --from TOOL  dbmate, golang-migrate, goose, sqlx, diesel or flyway\n"
              "               (default: detected from the table)\n"
              "  --table T    the other tool's history table (default: that tool's own);\n"
              "               strata's history table goes before the command:\n"
              "               strata --table H adopt --table T\n"
              "Refused (nothing recorded) when the other tool's history is dirty or holds a\n"
              "version that is not in the directory.\n"
              "example: strata adopt --from goose\n"},
    {"testdb", "usage: strata testdb create | drop URI | prune [--keep N]\n"
               "Fresh, fully migrated databases for tests, cloned in milliseconds from a\n"
               "template that holds every migration applied (built once per migration set).\n"
               "-d is the admin connection: a role with CREATEDB, on a maintenance database.\n"
               "  create      prints one line on stdout: the libpq URI of a new database\n"
               "  drop URI    drops a database made by create (its sessions are ended)\n"
               "  prune       drops the templates but the N newest (--keep N, default 3)\n"
               "example: DATABASE_URL=$(strata -d postgresql:///postgres testdb create)\n"},
    {"schema", "usage: strata schema [-o FILE] [--json] [--privileges]\n"
               "       strata schema --check FILE [--json] [--privileges]\n"
               "Prints the database's schema read from pg_catalog (no pg_dump): one\n"
               "deterministic line per object, the same bytes for the same schema. The\n"
               "history table is left out.\n"
               "  -o FILE        write it to FILE (commit it)\n"
               "  --json         as JSON (--check reads either)\n"
               "  --privileges   owners and grants too\n"
               "  --check FILE   exit 1 and print the diff when the database differs from\n"
               "                 FILE (\"-\": only in FILE, \"+\": only in the database)\n"
               "example: strata schema -o schema.txt && strata schema --check schema.txt\n"},
    {"help", "usage: strata help [COMMAND]\n"
             "Describes one command, or lists them all.\n"
             "example: strata help up\n"},
};

bool cli_help(FILE *f, const char *cmd)
{
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        if (strcmp(helps[i].cmd, cmd) == 0) {
            fputs(helps[i].text, f);
            return true;
        }
    }
    return false;
}

void cli_usage(FILE *f)
{
    fputs("usage: strata [GLOBAL OPTIONS] COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  new NAME [--simple] [--seq]  create <version>_<name>.up.sql and .down.sql\n"
          "  up [--to V] [--phase expand|contract|all] [--dry-run] [--allow-out-of-order]\n"
          "     [--resume] [--single-transaction] [--lint=error|warning|off] [--observe]\n"
          "     [--ignore-other-history]\n"
          "  down [--to V | --steps N | --all] [--dry-run] [--allow-empty-down]\n"
          "  redo                         down 1 step, then up again\n"
          "  status [--exit-code]         table (or --json); exit 3 pending, 1 dirty/modified\n"
          "  verify [--roundtrip [--from V] | --drift] [--scratch URL]  files; downs; drift\n"
          "  lint [PATH...] [--format text|json|github] [--pg-version N] [--strict] [--all]\n"
          "  force V --applied|--pending  resolve a dirty or inconsistent row by hand\n"
          "  accept V                     record the checksum of an edited, applied migration\n"
          "  baseline V                   mark everything up to V applied without running it\n"
          "  embed -o OUT.c [--header OUT.h] [--symbol NAME] [--depfile F] DIR\n"
          "  adopt [--from TOOL] [--table T]  take over another tool's history\n"
          "  testdb create | drop URI | prune [--keep N]  migrated databases for tests\n"
          "  schema [-o FILE] [--privileges] | --check FILE  the schema snapshot, or diff\n"
          "  help [COMMAND]               describe a command\n"
          "\n"
          "global options (before or after the command):\n"
          "  -d, --database URL      default $DATABASE_URL, then libpq's PG* environment\n"
          "  -m, --migrations DIR    default ./migrations\n"
          "  --table [SCHEMA.]T      history table (default strata_history)\n"
          "  --json                  machine-readable output on stdout, errors included\n"
          "  -q, --quiet / -v, --verbose\n"
          "  --lock-wait D           wait for another migrator's lock (default 60s)\n"
          "  --lock-timeout D        lock_timeout of migration statements (default 750ms; 0 off)\n"
          "  --statement-timeout D   statement_timeout of migration statements (default off)\n"
          "  --retries N             most retries after lock_not_available (default: the budget decides)\n"
          "  --retry-budget D        total time for lock_timeout retries with backoff (default 60s)\n"
          "  durations: 500ms, 30s, 2min, 1h (a bare number is milliseconds)\n"
          "\n"
          "Exit codes: 0 success, 1 failure, 2 usage, 3 pending (status --exit-code).\n"
          "`strata help COMMAND` describes one command.\n",
          f);
}

int cmd_help(cli *c, int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stdout);
        return EXIT_OK;
    }
    if (argc > 2)
        return cli_usage_error(c, "help: unexpected argument '%s'", argv[2]);
    if (!cli_help(stdout, argv[1]))
        return cli_usage_error(c, "help: unknown command '%s'", argv[1]);
    return EXIT_OK;
}
