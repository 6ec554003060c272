/*
 * check_failclosed.c - whatever goes wrong, the answer is deny.
 *
 * Unknown services, actions and roles, empty and NULL request fields, users
 * nobody can look up, missing and failing plugins: each denies with the
 * status that names the problem and a reason, and rg_check never allows.
 * The services used here would allow the same request if it were well
 * formed, so a lenient check shows up as an allow.
 *
 * Then several threads share one context and must all get the answers a
 * single thread gets.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Status column meaning "any error will do, as long as it is one". */
#define ANY_ERROR 1
/* Longer than any id may be. */
#define HUGE_ID_LEN (4 * RG_ID_MAX)

#define CONFIG                                                                 \
	"[service s]\n"                                                        \
	"stack = required rbac policy=test.policy\n"                           \
	"[service perm]\n"                                                     \
	"stack = optional fixed result=abstain\n"                              \
	"stack = required permit\n"                                            \
	"[service err]\n"                                                      \
	"stack = required fixed result=error tag=err\n"                        \
	"[service invalid]\n"                                                  \
	"stack = required fixed result=invalid\n"                              \
	"stack = optional permit\n"                                            \
	"[service invalid-sufficient]\n"                                       \
	"stack = sufficient fixed result=invalid\n"                            \
	"[service missing]\n"                                                  \
	"stack = required nosuch\n"                                            \
	"stack = optional fixed result=abstain\n"                              \
	"stack = optional permit\n"                                            \
	"[service empty]\n"                                                    \
	"[service permit-only]\n"                                              \
	"stack = required permit\n"

static const char policy_text[] = "[policy]\n"
                                  "product = failclosed-test\n"
                                  "[privilege doc.read]\n"
                                  "description = Read documents\n"
                                  "[role reader]\n"
                                  "name = Reader\n"
                                  "grant = doc.read\n";

static struct tu_env env;

static void setup(void)
{
	char *p;

	tu_env_setup(&env);
	tu_add_plugins(&env, "rbac", "permit", "fixed", (char *)NULL);
	p = tu_write(env.dir, "test.policy", 0644, "%s", policy_text);
	free(p);
	tu_open(&env, "%s", CONFIG);
}

static void teardown(void)
{
	tu_env_teardown(&env);
}

/* The config is sound: these are allowed, so the denials below mean it. */
START_TEST(test_sound_requests_allowed)
{
	rg_decision d;

	ck_assert_int_eq(tu_check(env.ctx, "s", "@reader", "doc.read", 0, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_int_eq(
	    tu_check(env.ctx, "perm", "@tester", "fixed.test", 0, &d), RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
}
END_TEST

/* ---- Bad requests ------------------------------------------------------- */

struct bad_request {
	const char *name;
	const char *service, *subject, *action; /* as tu_request() takes */
	int status;                             /* expected, or ANY_ERROR */
	int status2;        /* another acceptable status, or 0 */
	const char *needle; /* the reason must contain it, or NULL */
};

static const struct bad_request bad_requests[] = {
    {"unknown service", "nosuch", "@reader", "doc.read", RG_ENOSERVICE, 0,
     "nosuch"},
    {"NULL service", NULL, "@reader", "doc.read", RG_EINVAL, 0, NULL},
    {"empty service", "", "@reader", "doc.read", RG_ENOSERVICE, RG_EINVAL,
     NULL},
    {"unknown action", "s", "@reader", "doc.write", RG_ENOACTION, 0,
     "doc.write"},
    {"unknown action through permit", "perm", "@tester", "doc.write",
     RG_ENOACTION, 0, "is not declared by any plugin of service 'perm'"},
    /* permit declares nothing: no action is known, so none reaches it. */
    {"any action through a stack that declares none", "permit-only", "@",
     "doc.read", RG_ENOACTION, 0, "is not declared"},
    {"NULL action", "s", "@reader", NULL, RG_EINVAL, 0, NULL},
    {"empty action", "s", "@reader", "", RG_ENOACTION, RG_EINVAL, NULL},
    {"unknown role", "s", "@reader,ghost", "doc.read", RG_ENOROLE, 0, "ghost"},
    {"unknown role through permit", "perm", "@tester,ghost", "fixed.test",
     RG_ENOROLE, 0, "ghost"},
    /* "@" is the empty role set (a real subject); an empty id is not. */
    {"trailing comma", "s", "@reader,", "doc.read", RG_ENOROLE, 0, NULL},
    {"empty role id through permit", "perm", "@,tester", "fixed.test",
     RG_ENOROLE, 0, NULL},
    {"doubled comma", "s", "@reader,,reader", "doc.read", RG_ENOROLE, 0, NULL},
    {"no subject", "s", NULL, "doc.read", RG_EINVAL, 0, NULL},
    {"user without a directory", "s", "alice", "doc.read", RG_ENOUSER, 0, NULL},
    {"user without a directory through permit", "perm", "alice", "fixed.test",
     RG_ENOUSER, 0, NULL},
    {"empty user", "perm", "", "fixed.test", RG_EINVAL, RG_ENOUSER, NULL},
    {"missing plugin", "missing", "@tester", "fixed.test", ANY_ERROR, 0, NULL},
    {"erroring plugin", "err", "@tester", "fixed.test", RG_EPLUGIN, 0, "[err]"},
    {"invalid plugin result", "invalid", "@tester", "fixed.test", ANY_ERROR, 0,
     NULL},
    {"invalid plugin result, sufficient", "invalid-sufficient", "@tester",
     "fixed.test", ANY_ERROR, RG_OK, NULL},
    {"empty service stack", "empty", "@tester", "fixed.test", ANY_ERROR, RG_OK,
     NULL},
};
#define NBAD RG_COUNTOF(bad_requests)

static void assert_status(const char *name, int got, int want, int want2)
{
	if (want == ANY_ERROR)
		ck_assert_msg(got != RG_OK || want2 == RG_OK, "%s: status OK",
		              name);
	else
		ck_assert_msg(got == want || (want2 && got == want2),
		              "%s: status %s, expected %s", name,
		              rg_status_name(got), rg_status_name(want));
}

START_TEST(test_bad_request)
{
	const struct bad_request *c = &bad_requests[_i];
	rg_request req;
	rg_decision d;
	rg_result res;
	int rc, st;

	rc = tu_check(env.ctx, c->service, c->subject, c->action,
	              RG_CHECK_TRACE, &d);
	/* A batch of one answers exactly as the single check. */
	tu_request(&req, c->service, c->subject, c->action);
	rg_check_batch(env.ctx, &req, 1, RG_CHECK_NO_REASON, &res, &st);
	ck_assert_msg(res == d.result && st == rc, "%s: batch %s (%s)", c->name,
	              rg_result_name(res), rg_status_name(st));
	ck_assert_msg(d.result == RG_DENY, "%s: allowed (%s)", c->name,
	              d.reason);
	assert_status(c->name, d.status, c->status, c->status2);
	assert_status(c->name, rc, c->status, c->status2);
	ck_assert_msg(d.reason[0] != '\0', "%s: no reason", c->name);
	if (c->needle)
		ck_assert_msg(strstr(d.reason, c->needle),
		              "%s: reason '%s' does not name %s", c->name,
		              d.reason, c->needle);
}
END_TEST

/* A plugin's result outside the enum is an error in the trace, too. */
START_TEST(test_invalid_result_traced_as_error)
{
	rg_decision d;

	tu_check(env.ctx, "invalid", "@tester", "fixed.test", RG_CHECK_TRACE,
	         &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_uint_ge(d.ntrace, 1);
	ck_assert_int_eq(d.trace[0].result, RG_ERROR);
	ck_assert_int_ne(d.trace[0].status, RG_OK);
}
END_TEST

/* Ids longer than any buffer: denied, and nothing overflows. */
START_TEST(test_huge_ids)
{
	char *huge = malloc(HUGE_ID_LEN + 2);
	rg_decision d;

	ck_assert_ptr_nonnull(huge);
	huge[0] = '@';
	memset(huge + 1, 'r', HUGE_ID_LEN);
	huge[HUGE_ID_LEN + 1] = '\0';
	ck_assert_int_ne(tu_check(env.ctx, "s", huge, "doc.read", 0, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_ne(tu_check(env.ctx, "s", "@reader", huge + 1, 0, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_ne(
	    tu_check(env.ctx, huge + 1, "@reader", "doc.read", 0, &d), RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_ne(tu_check(env.ctx, "s", huge + 1, "doc.read", 0, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
	free(huge);
}
END_TEST

/* Malformed attribute lists, on a service that would otherwise allow. */
static const rg_attr null_key[] = {{NULL, "x"}};
static const rg_attr null_value[] = {{"bu", NULL}};

struct bad_attrs {
	const char *name;
	const rg_attr *attrs, *subject_attrs;
	size_t nattrs, nsubject_attrs;
};

static const struct bad_attrs bad_attrs[] = {
    {"attrs NULL with nattrs 1", NULL, NULL, 1, 0},
    {"subject attrs NULL with nattrs 1", NULL, NULL, 0, 1},
    {"attribute with a NULL key", null_key, NULL, 1, 0},
    {"attribute with a NULL value", null_value, NULL, 1, 0},
    {"subject attribute with a NULL key", NULL, null_key, 0, 1},
    {"subject attribute with a NULL value", NULL, null_value, 0, 1},
};
#define NBAD_ATTRS RG_COUNTOF(bad_attrs)

START_TEST(test_null_attrs)
{
	const struct bad_attrs *c = &bad_attrs[_i];
	rg_request req;
	rg_decision d;
	int rc;

	tu_request(&req, "perm", "@tester", "fixed.test");
	req.attrs = c->attrs;
	req.nattrs = c->nattrs;
	req.subject.attrs = c->subject_attrs;
	req.subject.nattrs = c->nsubject_attrs;
	memset(&d, 0, sizeof(d)); /* result RG_ALLOW: must be overwritten */
	rc = rg_check(env.ctx, &req, 0, &d);
	ck_assert_msg(d.result == RG_DENY, "%s: allowed", c->name);
	ck_assert_msg(rc == RG_EINVAL, "%s: %s", c->name, rg_status_name(rc));
	ck_assert_int_eq(d.status, RG_EINVAL);
	ck_assert(d.reason[0] != '\0');
	ck_assert_int_eq(rg_allowed(env.ctx, &req), 0);
}
END_TEST

/* NULL request, context and decision. */
START_TEST(test_null_arguments)
{
	rg_request req;
	rg_decision d;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(rg_check(env.ctx, NULL, 0, &d), RG_EINVAL);
	ck_assert_int_eq(d.result, RG_DENY);
	tu_request(&req, "perm", "@tester", "fixed.test");
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(rg_check(NULL, &req, 0, &d), RG_EINVAL);
	ck_assert_int_eq(d.result, RG_DENY);
	rg_check(env.ctx, &req, 0, NULL); /* must not crash */
	ck_assert_int_eq(rg_allowed(NULL, &req), 0);
	ck_assert_int_eq(rg_allowed(env.ctx, NULL), 0);
}
END_TEST

/* Explain, validate and whocan fail closed the same way. */
START_TEST(test_other_queries)
{
	rg_explanation ex;
	rg_validation v;
	rg_subject subject;
	rg_request req;

	tu_request(&req, "nosuch", "@reader", "doc.read");
	memset(&ex, 0, sizeof(ex));
	ck_assert_int_eq(rg_explain(env.ctx, &req, &ex), RG_ENOSERVICE);
	ck_assert_int_eq(ex.decision.result, RG_DENY);
	tu_request(&req, "s", "@reader,ghost", "doc.read");
	memset(&ex, 0, sizeof(ex));
	ck_assert_int_eq(rg_explain(env.ctx, &req, &ex), RG_ENOROLE);
	ck_assert_int_eq(ex.decision.result, RG_DENY);
	ck_assert_uint_eq(ex.nsuggestions, 0);

	memset(&subject, 0, sizeof(subject));
	subject.user = "alice";
	memset(&v, 0, sizeof(v));
	v.ok = 1;
	ck_assert_int_eq(rg_validate(env.ctx, "s", &subject, &v), RG_ENOUSER);
	ck_assert_int_eq(v.ok, 0);
}
END_TEST

/* ---- Threads ------------------------------------------------------------ */

#define NTHREADS 4
#define ROUNDS   2000

struct thread_request {
	const char *service, *subject, *action;
	rg_result expect;
};

static const struct thread_request thread_requests[] = {
    {"s", "@reader", "doc.read", RG_ALLOW},
    {"s", "@reader,ghost", "doc.read", RG_DENY},
    {"s", "@reader", "doc.write", RG_DENY},
    {"perm", "@tester", "fixed.test", RG_ALLOW},
    {"err", "@tester", "fixed.test", RG_DENY},
    {"missing", "@tester", "fixed.test", RG_DENY},
    {"nosuch", "@tester", "fixed.test", RG_DENY},
    {"s", "alice", "doc.read", RG_DENY},
};
#define NTHREAD_REQUESTS RG_COUNTOF(thread_requests)

struct thread_arg {
	const rg_context *ctx;
	const rg_decision *expected; /* one per thread_requests[] */
	pthread_barrier_t *start;
	int id;
	long mismatches;
};

static int same_decision(const rg_decision *a, const rg_decision *b)
{
	size_t i;

	if (a->result != b->result || a->status != b->status ||
	    strcmp(a->reason, b->reason) != 0 ||
	    strcmp(a->role, b->role) != 0 ||
	    strcmp(a->missing, b->missing) != 0 || a->ntrace != b->ntrace)
		return 0;
	for (i = 0; i < a->ntrace; i++)
		if (a->trace[i].result != b->trace[i].result ||
		    strcmp(a->trace[i].reason, b->trace[i].reason) != 0)
			return 0;
	return 1;
}

static void *thread_main(void *p)
{
	struct thread_arg *arg = p;
	rg_decision *d = malloc(sizeof(*d));
	long round;
	size_t i;

	if (!d) {
		arg->mismatches = -1;
		return NULL;
	}
	pthread_barrier_wait(arg->start);
	for (round = 0; round < ROUNDS; round++) {
		/* Each thread walks the requests in its own order. */
		for (i = 0; i < NTHREAD_REQUESTS; i++) {
			size_t k = (i + (size_t)arg->id + (size_t)round) %
			           NTHREAD_REQUESTS;
			const struct thread_request *t = &thread_requests[k];
			rg_request req;

			tu_request(&req, t->service, t->subject, t->action);
			rg_check(arg->ctx, &req, RG_CHECK_TRACE, d);
			if (!same_decision(d, &arg->expected[k]))
				arg->mismatches++;
		}
	}
	free(d);
	return NULL;
}

START_TEST(test_threads_agree)
{
	rg_decision *expected = calloc(NTHREAD_REQUESTS, sizeof(*expected));
	struct thread_arg args[NTHREADS];
	pthread_t threads[NTHREADS];
	pthread_barrier_t start;
	size_t i;

	ck_assert_ptr_nonnull(expected);
	for (i = 0; i < NTHREAD_REQUESTS; i++) {
		const struct thread_request *t = &thread_requests[i];

		tu_check(env.ctx, t->service, t->subject, t->action,
		         RG_CHECK_TRACE, &expected[i]);
		ck_assert_msg(expected[i].result == t->expect,
		              "%s %s %s: %s (%s)", t->service, t->subject,
		              t->action, rg_result_name(expected[i].result),
		              expected[i].reason);
	}
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (i = 0; i < NTHREADS; i++) {
		args[i].ctx = env.ctx;
		args[i].expected = expected;
		args[i].start = &start;
		args[i].id = (int)i;
		args[i].mismatches = 0;
		ck_assert_int_eq(
		    pthread_create(&threads[i], NULL, thread_main, &args[i]),
		    0);
	}
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_msg(args[i].mismatches == 0,
		              "thread %zu: %ld answers differ", i,
		              args[i].mismatches);
	free(expected);
}
END_TEST

static Suite *failclosed_suite(void)
{
	Suite *s = suite_create("failclosed");
	TCase *tc;

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sound_requests_allowed);
	tcase_add_loop_test(tc, test_bad_request, 0, (int)NBAD);
	tcase_add_test(tc, test_invalid_result_traced_as_error);
	tcase_add_test(tc, test_huge_ids);
	tcase_add_loop_test(tc, test_null_attrs, 0, (int)NBAD_ATTRS);
	tcase_add_test(tc, test_null_arguments);
	tcase_add_test(tc, test_other_queries);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_threads_agree);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(failclosed_suite)
