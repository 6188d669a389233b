/*
 * testutil.h — shared by the cmocka unit tests: the heap checker as an
 * assertion, and an error handler that records what the runtime reported.
 */
#ifndef RGC_TESTUTIL_H
#define RGC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rgc.h"

/* Fails the test with the checker's message unless every invariant holds. */
#define assert_heap_ok(h)                                                                   \
    do {                                                                                    \
        rgc_check_result_t r_;                                                              \
        if (rgc_heap_check((h), &r_) != 0)                                                  \
            fail_msg("heap check failed at %p: %s", r_.address, r_.message);                \
    } while (0)

/* Errors the runtime reported since the last reset. */
typedef struct recorded_errors {
    int count;
    rgc_error_t last_code;
    const void *last_address;
    char last_type[64];
    char last_message[256];
} recorded_errors_t;

static recorded_errors_t recorded;

static void record_error(void *ctx, rgc_error_t code, const void *address, const char *type_name,
                         const char *message)
{
    (void)ctx;
    recorded.count++;
    recorded.last_code = code;
    recorded.last_address = address;
    snprintf(recorded.last_type, sizeof recorded.last_type, "%s", type_name ? type_name : "");
    snprintf(recorded.last_message, sizeof recorded.last_message, "%s", message);
}

/* Routes runtime errors into `recorded` instead of stderr. */
static inline void record_errors(void)
{
    memset(&recorded, 0, sizeof recorded);
    rgc_set_error_handler(record_error, NULL);
}

#endif /* RGC_TESTUTIL_H */
