/*
 * fuzz.h - what the fuzz targets share: a scratch directory for the files
 * an input becomes, a context opened on them, and an exercise of every
 * service of a context (each role asked for each privilege, one at a time
 * and as one batch, which must agree).
 *
 * Each target defines LLVMFuzzerTestOneInput().  Built with libFuzzer
 * (configure --enable-fuzzing) it is fuzzed by `make fuzz`; built with
 * replay.c it replays its corpus and regressions in `make check`.
 */
#ifndef RG_FUZZ_H
#define RG_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <rolegate/rolegate.h>

#include "private/rg_prim.h"

/* libFuzzer's entry point, which every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch directory (made once per process, removed at exit). */
const char *fuzz_dir(void);

/* Writes data to NAME in the scratch directory; returns its path
 * (static storage, one per name slot) or aborts. */
const char *fuzz_file(const char *name, const void *data, size_t size);

/* The directory of the shipped policies (ROLEGATE_POLICIES or the source
 * tree's). */
const char *fuzz_policies(void);

/* Links the shipped policy files into the scratch directory (once), so
 * that a fuzzed configuration's relative policy paths find them. */
void fuzz_link_policies(void);

/* Opens a context on the config at path without a directory, or with the
 * directory at dbpath when it is not NULL; the library's log is silenced.
 * app_* as in rg_options.  NULL when the open fails. */
rg_context *fuzz_open(const char *path, const char *dbpath,
                      const char *const *app_sections, rg_conf_fn app_conf,
                      void *app_user);

/* Fills reqs[0..n-1]: the subject (user or roles) asking for each of the
 * service's first n privileges; strings are the caller's and the
 * context's. */
void fuzz_requests(const rg_service *svc, const char *user, const char *roles,
                   rg_request *reqs, size_t n);

/* Asks every role of every service for every privilege (bounded), single
 * and batched, and aborts when the two answers differ. */
void fuzz_exercise(const rg_context *ctx);

/*
 * 1 when an upstream may read the path of uri (a request target, its query
 * after '?') otherwise than rolegated: a '#' anywhere; once
 * percent-decoded, a ';' (path parameters, "..;"), a '\' or an encoded
 * '/', a control character, or a ".", ".." or empty segment (those only when
 * uri starts with '/').
 */
int fuzz_risky(const char *uri);

/* Aborts with a message: the oracle of a target found a wrong answer. */
void fuzz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
