/*
 * check_stack.c - stack semantics (PAM's), driven by the `fixed` test plugin.
 *
 * Results allow/deny/abstain/error; actions ok, done, bad, die, ignore,
 * reset and N.  required = [allow=ok abstain=ignore default=bad],
 * requisite = [allow=ok abstain=ignore default=die],
 * sufficient = [allow=done default=ignore],
 * optional = [allow=ok default=ignore].  The stack starts undecided and
 * allows only when it ends positive.
 *
 * Every case is a row of a table and runs with RG_CHECK_TRACE: the trace
 * proves which entries ran (so "stops" and "skips" are checked, not
 * assumed), on which config line, with which control and result.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* The action and subject every fixed entry declares. */
#define ACTION  "fixed.test"
#define SUBJECT "@tester"
#define SERVICE "s"
/* The first stack line of a service: its header is line 1. */
#define FIRST_STACK_LINE 2
/* Longest stack of the multi-entry table. */
#define MAX_LINES 6
/* Any status is acceptable (the brief leaves it open). */
#define ANY_STATUS 1

static struct tu_env env;

static void setup(void)
{
	tu_env_setup(&env);
	tu_add_plugin(&env, "fixed");
}

static void teardown(void)
{
	tu_env_teardown(&env);
}

/* The result named by "result=NAME" in a stack line. */
static rg_result line_result(const char *line)
{
	const char *p = strstr(line, "result=");
	int r;

	ck_assert_ptr_nonnull(p);
	p += strlen("result=");
	for (r = 0; r < RG_RESULT_COUNT; r++) {
		const char *name = rg_result_name((rg_result)r);

		if (strncmp(p, name, strlen(name)) == 0)
			return (rg_result)r;
	}
	ck_abort_msg("no result in %s", line);
	return RG_ERROR;
}

/* The control of a stack line as written: everything before " fixed". */
static char *line_control(const char *line)
{
	const char *end = strstr(line, " fixed ");

	ck_assert_ptr_nonnull(end);
	return strndup(line, (size_t)(end - line));
}

/* Writes a one-service config with these stack lines and opens it. */
static void open_stack(const char *const *lines, size_t n)
{
	size_t i;
	char *text = tu_strdupf("[service %s]\n", SERVICE);

	for (i = 0; i < n; i++) {
		char *next = tu_strdupf("%sstack = %s\n", text, lines[i]);

		free(text);
		text = next;
	}
	ck_assert_int_eq(tu_open_text(&env, env.plugin_dir, text), RG_OK);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0,
	              "unexpected diagnostics:%s", tu_diag_dump(env.ctx));
	free(text);
}

/*
 * Asserts that trace entry k is stack line `entry` as written in lines[].
 */
static void assert_trace_entry(const rg_decision *d, size_t k,
                               const char *const *lines, int entry)
{
	const rg_trace_entry *t = &d->trace[k];
	char *control = line_control(lines[entry]);

	ck_assert_str_eq(t->plugin, "fixed");
	ck_assert_str_eq(t->control, control);
	ck_assert_uint_eq(t->line, FIRST_STACK_LINE + (unsigned)entry);
	ck_assert_msg(t->result == line_result(lines[entry]),
	              "trace[%zu] (line %u) result %s, expected %s", k, t->line,
	              rg_result_name(t->result),
	              rg_result_name(line_result(lines[entry])));
	if (t->result == RG_ERROR)
		ck_assert_int_eq(t->status, RG_EPLUGIN);
	ck_assert_ptr_nonnull(memchr(t->reason, '\0', sizeof(t->reason)));
	free(control);
}

/* ---- Single entry: every control x every result ----------------------- */

/*
 * The four shorthand words, then the same four as explicit tables: both
 * spellings must behave identically.
 */
static const char *const controls[] = {
    "required",
    "requisite",
    "sufficient",
    "optional",
    "[allow=ok abstain=ignore default=bad]",
    "[allow=ok abstain=ignore default=die]",
    "[allow=done default=ignore]",
    "[allow=ok default=ignore]",
};
#define NCONTROLS RG_COUNTOF(controls)
/* Controls whose failure is a "bad" (they force a deny on error). */
#define CONTROL_FAILS_STACK(c) ((c) % 4 < 2)

START_TEST(test_single_entry)
{
	size_t c = (size_t)_i / RG_RESULT_COUNT;
	rg_result r = (rg_result)(_i % RG_RESULT_COUNT);
	char *line = tu_strdupf("%s fixed result=%s tag=only", controls[c],
	                        rg_result_name(r));
	const char *lines[] = {line};
	rg_result expect = r == RG_ALLOW ? RG_ALLOW : RG_DENY;
	rg_decision d;
	int rc;

	open_stack(lines, 1);
	rc = tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_msg(d.result == expect, "%s: got %s (%s)", line,
	              rg_result_name(d.result), d.reason);
	ck_assert_uint_eq(d.ntrace, 1);
	assert_trace_entry(&d, 0, lines, 0);
	if (r == RG_ERROR && CONTROL_FAILS_STACK(c)) {
		/* The plugin's failure forced the deny: say so. */
		ck_assert_int_eq(d.status, RG_EPLUGIN);
		ck_assert_int_eq(rc, RG_EPLUGIN);
	} else if (r != RG_ERROR) {
		ck_assert_int_eq(d.status, RG_OK);
		ck_assert_int_eq(rc, RG_OK);
	}
	ck_assert_msg(d.reason[0] != '\0', "%s: empty reason", line);
	if (r == RG_ALLOW || (r != RG_ABSTAIN && CONTROL_FAILS_STACK(c))) {
		/* This entry decided: the decision names it and its reason. */
		ck_assert_ptr_nonnull(d.plugin);
		ck_assert_str_eq(d.plugin, "fixed");
		ck_assert_msg(strstr(d.reason, "[only]"),
		              "%s: reason '%s' does not come from the entry",
		              line, d.reason);
	}
	free(line);
}
END_TEST

/* ---- Several entries ---------------------------------------------------- */

struct stack_case {
	const char *name;
	const char *lines[MAX_LINES]; /* NULL-terminated */
	rg_result expect;
	int status;         /* decision status, or ANY_STATUS */
	int ran[MAX_LINES]; /* entries in the trace, in order; -1 ends */
	const char *tag;    /* "[tag]" the reason must contain, or NULL */
};

#define F(ctl, res)       ctl " fixed result=" res
#define FT(ctl, res, tag) ctl " fixed result=" res " tag=" tag

static const struct stack_case cases[] = {
    {"sufficient allow before required deny",
     {FT("sufficient", "allow", "a"), FT("required", "deny", "b")},
     RG_ALLOW,
     RG_OK,
     {0, -1},
     "[a]"},
    {"required deny then sufficient allow",
     {FT("required", "deny", "a"), FT("sufficient", "allow", "b")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[a]"},
    {"requisite deny stops evaluation",
     {FT("requisite", "deny", "a"), F("required", "allow"),
      F("sufficient", "allow")},
     RG_DENY,
     RG_OK,
     {0, -1},
     "[a]"},
    {"required deny does not stop evaluation",
     {FT("required", "deny", "a"), F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[a]"},
    {"two required allow",
     {F("required", "allow"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"all abstain denies",
     {F("required", "abstain"), F("requisite", "abstain"),
      F("sufficient", "abstain"), F("optional", "abstain")},
     RG_DENY,
     RG_OK,
     {0, 1, 2, 3, -1},
     NULL},
    {"optional deny alone denies",
     {F("optional", "deny")},
     RG_DENY,
     RG_OK,
     {0, -1},
     NULL},
    {"optional allow alone allows",
     {F("optional", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, -1},
     NULL},
    {"optional deny is ignored by a later required allow",
     {F("optional", "deny"), FT("required", "allow", "b")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"optional deny after required allow is ignored",
     {F("required", "allow"), F("optional", "deny")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"sufficient allow stops after a required allow",
     {F("required", "allow"), FT("sufficient", "allow", "b"),
      F("required", "deny")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     "[b]"},
    {"sufficient allow does not override an earlier failure",
     {FT("required", "deny", "a"), F("sufficient", "allow"),
      F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, 2, -1},
     "[a]"},
    {"the first failure is kept",
     {FT("required", "deny", "first"), FT("required", "deny", "second")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[first]"},
    {"requisite after a required failure keeps the first",
     {FT("required", "deny", "first"), FT("requisite", "deny", "second"),
      F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[first]"},
    {"sufficient deny is ignored",
     {F("sufficient", "deny"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"requisite abstain is ignored",
     {F("requisite", "abstain"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"required abstain then optional allow",
     {F("required", "abstain"), F("optional", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"sufficient allow after abstain stops",
     {F("required", "abstain"), F("sufficient", "allow"),
      F("required", "deny")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"required error denies despite sufficient allow",
     {FT("required", "error", "a"), F("sufficient", "allow")},
     RG_DENY,
     RG_EPLUGIN,
     {0, 1, -1},
     "[a]"},
    {"requisite error stops",
     {FT("requisite", "error", "a"), F("sufficient", "allow")},
     RG_DENY,
     RG_EPLUGIN,
     {0, -1},
     "[a]"},
    {"sufficient error is ignored",
     {F("sufficient", "error"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"optional error is ignored",
     {F("optional", "error"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    /* Table form: actions are chosen by result. */
    /* ok and done make the entry's OWN answer the stack's (libpam's
     * _pam_dispatch_aux(), pam_acct_mgmt()): a deny stays a deny. */
    {"table deny=ok makes the deny the stack's answer",
     {FT("[deny=ok default=bad]", "deny", "a")},
     RG_DENY,
     RG_OK,
     {0, -1},
     "[a]"},
    {"table abstain=ok makes the abstention the stack's answer",
     {FT("[abstain=ok default=bad]", "abstain", "a")},
     RG_DENY,
     RG_OK,
     {0, -1},
     "[a]"},
    {"table error=ok makes the error the stack's answer",
     {FT("[error=ok default=bad]", "error", "a")},
     RG_DENY,
     RG_EPLUGIN,
     {0, -1},
     "[a]"},
    {"a deny kept by ok is not undone by a later allow",
     {FT("[deny=ok default=bad]", "deny", "a"), F("required", "allow"),
      F("sufficient", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, 2, -1},
     "[a]"},
    {"an abstention kept by ok is not undone by a later allow",
     {FT("[abstain=ok default=bad]", "abstain", "a"), F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[a]"},
    {"done after a kept deny stops with the deny",
     {FT("[deny=ok default=bad]", "deny", "a"),
      F("[allow=done default=bad]", "allow"), F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[a]"},
    {"error=done stops with the error",
     {FT("[error=done default=bad]", "error", "a"), F("required", "allow")},
     RG_DENY,
     RG_EPLUGIN,
     {0, -1},
     "[a]"},
    {"done after a failed required goes on and denies",
     {FT("required", "deny", "a"), F("[default=done]", "allow"),
      F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, 2, -1},
     "[a]"},
    {"die after ok denies",
     {F("required", "allow"), FT("[allow=die default=ok]", "allow", "b"),
      F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[b]"},
    {"abstain=bad fails the stack",
     {FT("[abstain=bad default=ok]", "abstain", "a"), F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     "[a]"},
    {"reset forgets a kept deny",
     {F("[deny=ok default=bad]", "deny"),
      F("[allow=reset default=bad]", "allow"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, 2, -1},
     NULL},
    {"table allow=bad turns an allow into failure",
     {F("[allow=bad default=ok]", "allow")},
     RG_DENY,
     RG_OK,
     {0, -1},
     NULL},
    {"table allow=ignore leaves the stack undecided",
     {F("[allow=ignore default=bad]", "allow")},
     RG_DENY,
     RG_OK,
     {0, -1},
     NULL},
    {"table allow=die stops with a deny",
     {F("[allow=die default=ok]", "allow"), F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, -1},
     NULL},
    {"table allow=done stops with an allow",
     {F("[allow=done default=bad]", "allow"), F("required", "deny")},
     RG_ALLOW,
     RG_OK,
     {0, -1},
     NULL},
    {"table deny=ignore lets a later allow decide",
     {F("[deny=ignore default=bad]", "deny"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"table default applies to unnamed results",
     {F("[allow=ok default=die]", "abstain"), F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, -1},
     NULL},
    /* Jumps skip N entries and, as in pam_acct_mgmt(), change nothing
     * else: the answer of the entry that jumps is not counted. */
    {"jump 1 skips the next entry",
     {F("[allow=1 default=bad]", "allow"), F("required", "deny"),
      F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 2, -1},
     NULL},
    {"jump 2 skips two entries",
     {F("[allow=2 default=bad]", "allow"), F("required", "deny"),
      F("required", "deny"), F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 3, -1},
     NULL},
    {"a jump to the end does not count the allow",
     {F("[allow=1 default=bad]", "allow"), F("required", "deny")},
     RG_DENY,
     RG_OK,
     {0, -1},
     NULL},
    {"a jump after an allow keeps it",
     {F("required", "allow"), F("[allow=1 default=bad]", "allow"),
      F("required", "deny")},
     RG_ALLOW,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"a jump on deny skips and does not keep the deny",
     {F("[deny=1 default=bad]", "deny"), F("required", "deny"),
      F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 2, -1},
     NULL},
    {"jump does not undo an earlier failure",
     {FT("required", "deny", "a"), F("[allow=1 default=bad]", "allow"),
      F("required", "deny"), F("required", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, 3, -1},
     "[a]"},
    /* Reset: back to undecided. */
    {"reset forgets an earlier failure",
     {F("required", "deny"), F("[allow=reset default=bad]", "allow"),
      F("required", "allow")},
     RG_ALLOW,
     RG_OK,
     {0, 1, 2, -1},
     NULL},
    {"reset forgets an earlier success",
     {F("required", "allow"), F("[allow=reset default=bad]", "allow")},
     RG_DENY,
     RG_OK,
     {0, 1, -1},
     NULL},
    {"reset then sufficient allow",
     {F("required", "deny"), F("[allow=reset default=bad]", "allow"),
      F("sufficient", "allow"), F("required", "deny")},
     RG_ALLOW,
     RG_OK,
     {0, 1, 2, -1},
     NULL},
};
#define NCASES RG_COUNTOF(cases)

START_TEST(test_stack_case)
{
	const struct stack_case *c = &cases[_i];
	size_t n = 0, k;
	rg_decision d;
	int rc;

	while (n < MAX_LINES && c->lines[n])
		n++;
	open_stack(c->lines, n);
	rc = tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_msg(d.result == c->expect, "%s: got %s (%s)", c->name,
	              rg_result_name(d.result), d.reason);
	if (c->status != ANY_STATUS) {
		ck_assert_msg(d.status == c->status, "%s: status %s", c->name,
		              rg_status_name(d.status));
		ck_assert_msg(rc == c->status, "%s: rg_check returned %s",
		              c->name, rg_status_name(rc));
	}
	for (k = 0; k < MAX_LINES && c->ran[k] >= 0; k++)
		;
	ck_assert_msg(d.ntrace == k, "%s: %zu entries ran, expected %zu",
	              c->name, d.ntrace, k);
	for (k = 0; k < d.ntrace; k++)
		assert_trace_entry(&d, k, c->lines, c->ran[k]);
	ck_assert_msg(d.reason[0] != '\0', "%s: empty reason", c->name);
	if (c->tag)
		ck_assert_msg(strstr(d.reason, c->tag),
		              "%s: reason '%s' lacks %s", c->name, d.reason,
		              c->tag);
}
END_TEST

/* ---- Edges -------------------------------------------------------------- */

START_TEST(test_empty_service_denies)
{
	rg_decision d;

	tu_open(&env, "[service %s]\ndescription = nothing here\n", SERVICE);
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_uint_eq(d.ntrace, 0);
	ck_assert(d.reason[0] != '\0');
}
END_TEST

START_TEST(test_no_trace_without_flag)
{
	const char *lines[] = {F("required", "allow")};
	rg_decision d;

	open_stack(lines, 1);
	ck_assert_int_eq(tu_check(env.ctx, SERVICE, SUBJECT, ACTION, 0, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_uint_eq(d.ntrace, 0);
}
END_TEST

/* More entries than the trace holds: the trace stops, the stack does not. */
#define LONG_STACK (RG_TRACE_MAX + 4)

START_TEST(test_trace_is_bounded)
{
	const char *lines[LONG_STACK + 1];
	rg_decision d;
	size_t i;

	for (i = 0; i < LONG_STACK; i++)
		lines[i] = F("optional", "abstain");
	lines[LONG_STACK] = FT("required", "allow", "last");
	open_stack(lines, LONG_STACK + 1);
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_uint_eq(d.ntrace, RG_TRACE_MAX);

	/* Same with the deciding entry last and denying. */
	lines[LONG_STACK] = FT("required", "deny", "last");
	open_stack(lines, LONG_STACK + 1);
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert(strstr(d.reason, "[last]"));
}
END_TEST

/* The same answers on repeated checks: the stack keeps no state. */
START_TEST(test_repeatable)
{
	const char *lines[] = {F("required", "deny"), F("sufficient", "allow"),
	                       F("[allow=reset default=bad]", "allow"),
	                       F("required", "allow")};
	rg_decision d;
	int i;

	open_stack(lines, 4);
	for (i = 0; i < 3; i++) {
		tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
		ck_assert_int_eq(d.result, RG_ALLOW);
		ck_assert_uint_eq(d.ntrace, 4);
	}
}
END_TEST

/* ---- Lines the stack cannot follow ------------------------------------ */

/* Writes a one-service config with these stack lines; diagnostics allowed. */
static void open_lines(const char *text)
{
	char *conf = tu_strdupf("[service %s]\n%s", SERVICE, text);

	ck_assert_int_eq(tu_open_text(&env, env.plugin_dir, conf), RG_OK);
	free(conf);
}

/* A jump past the end fails the stack (libpam: "bad jump in stack"), and
 * the line is reported when the config is read. */
START_TEST(test_jump_past_end)
{
	rg_decision d;

	open_lines("stack = [allow=2 default=ignore] fixed result=allow tag=j\n"
	           "stack = optional fixed result=allow\n");
	ck_assert_int_ge(
	    tu_diag_find(env.ctx, ":2:", "allow=2", "past the end", NULL), 0);
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_uint_eq(d.ntrace, 1);
	ck_assert_msg(strstr(d.reason, "[j]") &&
	                  strstr(d.reason, "past the end"),
	              "reason: %s", d.reason);
	/* A jump that lands exactly on the end is fine. */
	open_lines("stack = required fixed result=allow\n"
	           "stack = [allow=1 default=ignore] fixed result=allow\n"
	           "stack = required fixed result=deny\n");
	ck_assert_uint_eq(rg_diagnostic_count(env.ctx), 0);
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, 0, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
}
END_TEST

/*
 * A refused line keeps its service denying whatever comes before or after
 * it: a reset after it (libpam would forget the failure) or a sufficient
 * allow before it (libpam would stop there).  rolegate.conf(5), "Differences
 * from Linux-PAM".
 */
START_TEST(test_refused_line_denies_everything)
{
	static const char *const stacks[] = {
	    "stack = [allow=0] fixed result=allow\n"
	    "stack = [default=reset] fixed result=allow\n"
	    "stack = required fixed result=allow\n",
	    "stack = sufficient fixed result=allow\n"
	    "stack = [allow=ok bogus] fixed result=allow\n",
	    "stack = required fixed result=allow\n"
	    "stack = required\n",
	};
	size_t i;
	rg_decision d;

	for (i = 0; i < RG_COUNTOF(stacks); i++) {
		open_lines(stacks[i]);
		ck_assert_uint_ge(rg_diagnostic_count(env.ctx), 1);
		tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
		ck_assert_msg(d.result == RG_DENY, "stack %zu allowed", i);
		ck_assert_int_eq(d.status, RG_ECONFIG);
		ck_assert_msg(strstr(d.reason, "denies everything") &&
		                  strstr(d.reason, "was refused"),
		              "stack %zu: %s", i, d.reason);
		tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_NO_REASON,
		         &d);
		ck_assert_int_eq(d.result, RG_DENY);
	}
}
END_TEST

/* A plugin that does not load answers error (PAM's module_unknown): ok
 * keeps that error, so the stack denies with the loader's status. */
START_TEST(test_missing_plugin_default_ok)
{
	rg_decision d;

	open_lines("stack = [default=ok] nosuch\n"
	           "stack = optional fixed result=allow\n");
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_ne(d.status, RG_OK);
	ck_assert_str_eq(d.plugin, "nosuch");
}
END_TEST

/* ---- A status outside the contract is an error -------------------------- */

struct bad_status {
	const char *line; /* the one entry: ok keeps its answer, error too */
	int status;       /* the decision's status */
	const char *needle;
};

static const struct bad_status bad_statuses[] = {
    {"[default=ok] fixed result=allow status=1", RG_EPLUGIN,
     "invalid status (1)"},
    {"[default=ok] fixed result=allow status=2147483647", RG_EPLUGIN,
     "invalid status"},
    {"[default=ok] fixed result=allow status=-9999", RG_EPLUGIN,
     "invalid status (-9999)"},
    {"[default=ok] fixed result=error status=7", RG_EPLUGIN, "invalid status"},
    {"[default=ok] fixed result=allow status=5", RG_EPLUGIN,
     "invalid status (5)"},
    {"[default=ok] fixed result=abstain status=3", RG_EPLUGIN,
     "invalid status"},
    /* A known error status with an allow: the plugin contradicts itself. */
    {"[default=ok] fixed result=allow status=-8", RG_EPOLICY,
     "with status EPOLICY"},
    {"[default=ok] fixed result=deny status=4", RG_EPLUGIN, "invalid status"},
};
#define NBAD_STATUSES RG_COUNTOF(bad_statuses)

/* A plugin whose ans->status is positive, unknown, or an error with an
 * allow is taken as answering error (fail closed): the stack denies with
 * the status, whatever the control, and the table agrees. */
START_TEST(test_bad_status_is_error)
{
	const struct bad_status *c = &bad_statuses[_i];
	const char *lines[] = {c->line};
	rg_decision d;

	ck_assert_int_eq(RG_EPOLICY, -8); /* as the table writes it */
	open_stack(lines, 1);
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_msg(d.result == RG_DENY, "%s: allowed (%s)", c->line,
	              d.reason);
	ck_assert_msg(d.status == c->status, "%s: status %s", c->line,
	              rg_status_name(d.status));
	ck_assert_msg(strstr(d.reason, c->needle), "%s: reason '%s'", c->line,
	              d.reason);
	ck_assert_uint_eq(d.ntrace, 1);
	ck_assert_int_eq(d.trace[0].result, RG_ERROR);
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_NO_REASON, &d);
	ck_assert_int_eq(d.result, RG_DENY);
}
END_TEST

/* ---- One entry without a trace: the same answer as with one ------------ */

/*
 * A stack of one entry asked without a trace runs apart from the loop that
 * a trace (or a longer stack) runs (stack.c: stack_one()).  Each line is a
 * whole stack; with and without a reason, the decision must be the loop's
 * in every field.  The lines cover each action a control can take on each
 * result, statuses outside the contract, a jump past the end and an entry
 * that did not load.
 */
struct one_line {
	const char *line;
	rg_result expect; /* with and without a trace */
};

static const struct one_line one_lines[] = {
    {"required fixed result=allow tag=one", RG_ALLOW},
    {"required fixed result=deny tag=one", RG_DENY},
    {"required fixed result=abstain tag=one", RG_DENY},
    {"required fixed result=error tag=one", RG_DENY},
    {"required fixed result=invalid tag=one", RG_DENY},
    {"requisite fixed result=error tag=one", RG_DENY},
    {"sufficient fixed result=allow tag=one", RG_ALLOW},
    {"sufficient fixed result=deny tag=one", RG_DENY},
    {"optional fixed result=abstain tag=one", RG_DENY},
    {"[default=ok] fixed result=abstain tag=one", RG_DENY},
    {"[default=ok] fixed result=error tag=one", RG_DENY},
    {"[default=done] fixed result=deny tag=one", RG_DENY},
    {"[default=die] fixed result=allow tag=one", RG_DENY},
    {"[allow=bad default=ok] fixed result=allow tag=one", RG_DENY},
    {"[abstain=bad default=ok] fixed result=abstain tag=one", RG_DENY},
    {"[default=reset] fixed result=allow tag=one", RG_DENY},
    {"[default=ignore] fixed result=allow tag=one", RG_DENY},
    {"[allow=1 default=ok] fixed result=allow tag=one", RG_DENY},
    {"[default=ok] fixed result=allow status=1", RG_DENY},
    {"[default=ok] fixed result=allow status=-8", RG_DENY},
    {"[default=ok] fixed result=deny status=-8", RG_DENY},
    {"[default=ok] nosuch", RG_DENY},
    {"required nosuch", RG_DENY},
};
#define NONE_LINES RG_COUNTOF(one_lines)

static void assert_same_decision(const char *line, unsigned flags,
                                 const rg_decision *a, int rca,
                                 const rg_decision *b, int rcb)
{
	ck_assert_msg(
	    a->result == b->result && a->status == b->status && rca == rcb,
	    "%s (flags %u): %s/%s/%d untraced, %s/%s/%d traced", line, flags,
	    rg_result_name(a->result), rg_status_name(a->status), rca,
	    rg_result_name(b->result), rg_status_name(b->status), rcb);
	ck_assert_msg((a->plugin == NULL) == (b->plugin == NULL), "%s: plugin",
	              line);
	if (a->plugin)
		ck_assert_str_eq(a->plugin, b->plugin);
	ck_assert_str_eq(a->role, b->role);
	ck_assert_str_eq(a->missing, b->missing);
	ck_assert_msg(strcmp(a->reason, b->reason) == 0,
	              "%s (flags %u): reason '%s' untraced, '%s' traced", line,
	              flags, a->reason, b->reason);
	ck_assert_uint_eq(a->ntrace, 0);
}

START_TEST(test_one_entry_untraced)
{
	static const unsigned flags[] = {0, RG_CHECK_NO_REASON};
	const struct one_line *c = &one_lines[_i];
	char *text = tu_strdupf("stack = %s\n", c->line);
	rg_decision a, b;
	size_t f;

	open_lines(text);
	for (f = 0; f < RG_COUNTOF(flags); f++) {
		int rca =
		    tu_check(env.ctx, SERVICE, SUBJECT, ACTION, flags[f], &a);
		int rcb = tu_check(env.ctx, SERVICE, SUBJECT, ACTION,
		                   flags[f] | RG_CHECK_TRACE, &b);

		/* A service that refused a line runs no entry. */
		ck_assert_uint_le(b.ntrace, 1);
		assert_same_decision(c->line, flags[f], &a, rca, &b, rcb);
		/* Not only the loop's answer: the one PAM's rules give. */
		ck_assert_msg(a.result == c->expect, "%s: %s", c->line,
		              rg_result_name(a.result));
		if (!flags[f])
			ck_assert_msg(a.reason[0], "%s: no reason", c->line);
	}
	free(text);
}
END_TEST

/* Tables that say something their writer may not mean are warned about,
 * naming the line; shorthands never are. */
START_TEST(test_warnings)
{
	open_lines("stack = required fixed result=allow\n"
	           "stack = [deny=ok allow=ok] fixed result=allow\n"
	           "stack = [error=done allow=ok] fixed result=allow\n"
	           "stack = [allow=bad default=ignore] fixed result=allow\n"
	           "stack = [default=ignore] fixed result=allow\n"
	           "stack = sufficient fixed result=allow\n");
	ck_assert_uint_eq(rg_diagnostic_count(env.ctx), 0);
	ck_assert_uint_eq(rg_warning_count(env.ctx), 4);
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 0), ":3: "));
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 0), "deny=ok"));
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 1), ":4: "));
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 1), "error=done"));
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 2), ":5: "));
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 2), "allow=bad"));
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 3), ":6: "));
	ck_assert_ptr_nonnull(strstr(rg_warning(env.ctx, 3), "never changes"));
	ck_assert_ptr_null(rg_warning(env.ctx, 4));
	ck_assert_ptr_null(rg_warning(NULL, 0));
	ck_assert_uint_eq(rg_warning_count(NULL), 0);
}
END_TEST

static Suite *stack_suite(void)
{
	Suite *s = suite_create("stack");
	TCase *tc;

	tc = tcase_create("single");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_single_entry, 0,
	                    (int)(NCONTROLS * RG_RESULT_COUNT));
	suite_add_tcase(s, tc);

	tc = tcase_create("multi");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_stack_case, 0, (int)NCASES);
	suite_add_tcase(s, tc);

	tc = tcase_create("edges");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty_service_denies);
	tcase_add_test(tc, test_no_trace_without_flag);
	tcase_add_test(tc, test_trace_is_bounded);
	tcase_add_test(tc, test_repeatable);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jump_past_end);
	tcase_add_test(tc, test_refused_line_denies_everything);
	tcase_add_test(tc, test_missing_plugin_default_ok);
	tcase_add_test(tc, test_warnings);
	tcase_add_loop_test(tc, test_one_entry_untraced, 0, (int)NONE_LINES);
	tcase_add_loop_test(tc, test_bad_status_is_error, 0,
	                    (int)NBAD_STATUSES);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(stack_suite)
