/*
 * error.c — the one place errors go: a process-wide handler (default: one
 * line on stderr) and the last error code of each thread.  The runtime never
 * aborts its embedder.
 */
#include "internal.h"

#include <stdarg.h>

static _Thread_local rgc_error_t last_error;

static const char *const error_names[] = {
    [RGC_OK] = "no error",
    [RGC_ENOMEM] = "out of memory",
    [RGC_EINVAL] = "invalid argument",
    [RGC_EMISUSE] = "API misuse",
    [RGC_EFREED] = "use of freed memory",
    [RGC_EREFCNT] = "reference count below zero",
    [RGC_EFOREIGN] = "pointer not owned by this heap",
    [RGC_ECORRUPT] = "heap corruption",
    [RGC_EUNHASHABLE] = "unhashable key",
    [RGC_EKEY] = "no such key or index",
};

const char *rgc_strerror(rgc_error_t code)
{
    if ((unsigned)code < sizeof error_names / sizeof error_names[0] && error_names[code])
        return error_names[code];
    return "unknown error";
}

rgc_error_t rgc_last_error(void)
{
    return last_error;
}

void rgc_clear_error(void)
{
    last_error = RGC_OK;
}

void rgc_set_error_handler(rgc_error_fn fn, void *ctx)
{
    _rgc_runtime.error_fn = fn;
    _rgc_runtime.error_ctx = ctx;
}

/* Formats the message and hands it to the handler; records the code. */
void _rgc_report(rgc_error_t code, const void *addr, const char *type_name, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    last_error = code;
    if (_rgc_watching()) {
        /* The heap of the address, when it is in an arena. */
        rgc_heap_t *h = addr && _rgc_in_arena(addr) ? _rgc_arena_of(addr)->heap : NULL;
        _rgc_event(h, RGC_EV_ERROR, addr, (uint64_t)code, 0, __builtin_return_address(0), NULL);
    }
    rgc_error_fn fn = _rgc_runtime.error_fn;
    if (fn) {
        fn(_rgc_runtime.error_ctx, code, addr, type_name, msg);
        return;
    }
    if (type_name)
        fprintf(stderr, "rgc: %s at %p (type %s): %s\n", rgc_strerror(code), addr, type_name, msg);
    else
        fprintf(stderr, "rgc: %s at %p: %s\n", rgc_strerror(code), addr, msg);
}
