/* The shared main of every test program: starts the throwaway cluster when
 * the suite needs one, runs the suite, removes everything at exit. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

int main(void)
{
    int failed;
    SRunner *sr;
    harness_tmp_init();
    if (test_needs_pg) {
        int rc = harness_start();
        if (rc != 0)
            return rc;
    }
    atexit(harness_stop);
    sr = srunner_create(test_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
