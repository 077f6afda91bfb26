/* check_run.h: how every unit test's main() runs its Check suite. */
#ifndef TESTS_CHECK_RUN_H
#define TESTS_CHECK_RUN_H

#include <check.h>

/* Runs every test of s (forking, as CK_NORMAL reports), frees it; the process exit status. */
int check_run(Suite *s);

#endif
