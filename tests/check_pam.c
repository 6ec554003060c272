/*
 * check_pam.c - rolegate's stacks against Linux-PAM's, decided by libpam.
 *
 * rolegate claims to stack plugins exactly as Linux-PAM stacks modules for
 * pam_acct_mgmt(), PAM's own authorization question.  This test does not
 * trust a model of PAM written here: it writes every stack twice, once as a
 * rolegate service of `fixed` test plugins and once as a PAM service file
 * of pam_debug.so lines (pam_debug(8): `acct=RESULT` makes the module's
 * pam_sm_acct_mgmt() return RESULT), runs the PAM one through the real
 * libpam (pam_start_confdir() on a private directory, then
 * pam_acct_mgmt()), and requires the same answer from rolegate.
 *
 * The answers map as rolegate.conf(5) says:
 *   allow   PAM_SUCCESS         pam_debug.so acct=success
 *   deny    a failure           pam_debug.so acct=auth_err
 *   abstain PAM_IGNORE          pam_debug.so acct=ignore
 *   error   a failure           pam_debug.so acct=system_err
 *   a plugin that did not load  a module that does not exist
 *                               (PAM_MODULE_UNKNOWN)
 * and a table's "error" key stands for both system_err and module_unknown.
 * An answer is one of three: allowed (PAM_SUCCESS, exit 0 of rolegate
 * check), failed with an error (PAM_SYSTEM_ERR or PAM_MODULE_UNKNOWN,
 * rolegate's status not RG_OK, exit 2), or denied (anything else, exit 1).
 *
 * The one documented difference (rolegate.conf(5), "Differences from
 * Linux-PAM"): a service with a refused line denies everything, where
 * libpam lets a reset or an earlier done get past the failing line.  For
 * such a stack rolegate must deny with RG_ECONFIG, whatever libpam says.
 *
 * First the edge cases the stack engine must get right, then thousands of
 * random stacks of every control word, every table action (jumps, some past
 * the end), every answer, missing plugins and refused lines.
 *
 * Environment (set by make check): ROLEGATE_TEST_TESTPLUGINS, and
 * PAM_DEBUG_MODULE, the path of pam_debug.so found by configure.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "testutil.h"

#define SEED         20261203u
#define ROUNDS       4    /* random rounds, each one config and one PAM dir */
#define PER_ROUND    1000 /* random stacks a round */
#define ENTRIES_MAX  6    /* entries of a random stack, at most */
#define JUMP_MAX     4    /* a random jump skips 1..JUMP_MAX entries */
#define WORD_ODDS    3    /* one control in WORD_ODDS is a word */
#define REFUSE_ODDS  40   /* one entry in REFUSE_ODDS is a refused line */
#define MISSING_ODDS 12   /* one entry in MISSING_ODDS did not load */
#define TEXT_MAX     256
#define SHOWN_MAX    8 /* disagreements printed, at most */
#define ACTION       "fixed.test"
#define SUBJECT      "@tester"
/* A module PAM cannot load (PAM_MODULE_UNKNOWN), and its rolegate twin. */
#define PAM_MISSING "/nonexistent/pam_rolegate_missing.so"
#define RG_MISSING  "nosuch"

/* What an entry answers; ANS_MISSING: its plugin did not load. */
enum answer { ANS_ALLOW, ANS_DENY, ANS_ABSTAIN, ANS_ERROR, ANS_MISSING };

static const char *const rg_results[] = {"allow", "deny", "abstain", "error"};
static const char *const pam_results[] = {"success", "auth_err", "ignore",
                                          "system_err"};

/* The verdict, as a user sees it. */
enum outcome { OUT_ALLOW, OUT_DENY, OUT_ERROR };
static const char *const outcome_names[] = {"allow", "deny", "error"};

struct entry {
	char control[TEXT_MAX]; /* rolegate's spelling */
	enum answer answer;
	int refused; /* the control is one both refuse */
};

struct stack {
	struct entry e[ENTRIES_MAX + 1]; /* room for the declaring entry */
	size_t n;
};

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

/* ---- Writing a stack both ways ------------------------------------------ */

/* rolegate's table key as PAM spells it (error: both error results). */
static const char *pam_key(const char *key, size_t len)
{
	static const struct {
		const char *rg, *pam;
	} keys[] = {{"allow", "success"},
	            {"deny", "auth_err"},
	            {"abstain", "ignore"},
	            {"error", "system_err module_unknown"},
	            {"default", "default"}};
	size_t i;

	for (i = 0; i < RG_COUNTOF(keys); i++)
		if (strlen(keys[i].rg) == len &&
		    strncmp(key, keys[i].rg, len) == 0)
			return keys[i].pam;
	return NULL;
}

/* A control in PAM's spelling: words as they are, a table's keys mapped
 * (error=X becomes system_err=X module_unknown=X), anything else kept. */
static void pam_control(const char *rg, char *out, size_t len)
{
	const char *p = rg + 1;
	size_t pos = 0;

	if (rg[0] != '[') {
		snprintf(out, len, "%s", rg);
		return;
	}
	pos += (size_t)snprintf(out, len, "[");
	while (*p && *p != ']' && pos < len) {
		size_t w = strcspn(p, " ]"), k = strcspn(p, "= ]");
		const char *key = k < w ? pam_key(p, k) : NULL;

		if (!key) { /* not key=action: as written */
			pos += (size_t)snprintf(out + pos, len - pos, "%s%.*s",
			                        pos > 1 ? " " : "", (int)w, p);
		} else {
			const char *act = p + k + 1;
			int alen = (int)(w - k - 1);
			const char *sp = strchr(key, ' ');

			if (sp) /* error: two keys, one action */
				pos += (size_t)snprintf(
				    out + pos, len - pos, "%s%.*s=%.*s %s=%.*s",
				    pos > 1 ? " " : "", (int)(sp - key), key,
				    alen, act, sp + 1, alen, act);
			else
				pos += (size_t)snprintf(
				    out + pos, len - pos, "%s%s=%.*s",
				    pos > 1 ? " " : "", key, alen, act);
		}
		p += w;
		while (*p == ' ')
			p++;
	}
	if (pos < len)
		snprintf(out + pos, len - pos, "%s",
		         strchr(rg, ']') ? "]" : "");
}

static void write_rolegate(FILE *f, size_t id, const struct stack *s)
{
	size_t i;

	fprintf(f, "[service s%zu]\n", id);
	for (i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];

		if (e->answer == ANS_MISSING)
			fprintf(f, "stack = %s %s\n", e->control, RG_MISSING);
		else
			fprintf(f, "stack = %s fixed result=%s\n", e->control,
			        rg_results[e->answer]);
	}
}

static void write_pam(const char *dir, size_t id, const struct stack *s,
                      const char *module)
{
	char name[TEXT_MAX], control[TEXT_MAX];
	char *path;
	FILE *f;
	size_t i;

	snprintf(name, sizeof(name), "s%zu", id);
	path = tu_join(dir, name);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	for (i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];

		pam_control(e->control, control, sizeof(control));
		if (e->answer == ANS_MISSING)
			fprintf(f, "account %s %s\n", control, PAM_MISSING);
		else
			fprintf(f, "account %s %s acct=%s\n", control, module,
			        pam_results[e->answer]);
	}
	ck_assert_int_eq(fclose(f), 0);
	free(path);
}

/* ---- Asking both -------------------------------------------------------- */

/* pam_debug.so tells the conversation what it returns; nobody listens. */
static int quiet_conv(int n, const struct pam_message **msg,
                      struct pam_response **resp, void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

static enum outcome ask_pam(const char *dir, size_t id, int *code)
{
	const struct pam_conv conv = {quiet_conv, NULL};
	pam_handle_t *h = NULL;
	char service[TEXT_MAX];
	int rc;

	snprintf(service, sizeof(service), "s%zu", id);
	rc = pam_start_confdir(service, "nobody", &conv, dir, &h);
	ck_assert_msg(rc == PAM_SUCCESS, "pam_start_confdir %s: %d", service,
	              rc);
	rc = pam_acct_mgmt(h, PAM_SILENT);
	pam_end(h, rc);
	*code = rc;
	if (rc == PAM_SUCCESS)
		return OUT_ALLOW;
	if (rc == PAM_SYSTEM_ERR || rc == PAM_MODULE_UNKNOWN)
		return OUT_ERROR;
	return OUT_DENY;
}

static enum outcome ask_rolegate(size_t id, rg_decision *d)
{
	char service[TEXT_MAX];

	snprintf(service, sizeof(service), "s%zu", id);
	tu_check(env.ctx, service, SUBJECT, ACTION, 0, d);
	if (d->result == RG_ALLOW)
		return OUT_ALLOW;
	return d->status != RG_OK ? OUT_ERROR : OUT_DENY;
}

static int has_refused(const struct stack *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].refused)
			return 1;
	return 0;
}

/* The stack in rolegate's spelling, for a failure message. */
static const char *show(const struct stack *s)
{
	static char buf[ENTRIES_MAX * 2 * TEXT_MAX];
	size_t i, pos = 0;

	buf[0] = '\0';
	for (i = 0; i < s->n && pos < sizeof(buf); i++)
		pos += (size_t)snprintf(
		    buf + pos, sizeof(buf) - pos, " | %s %s", s->e[i].control,
		    s->e[i].answer == ANS_MISSING ? RG_MISSING
		                                  : rg_results[s->e[i].answer]);
	return buf;
}

/*
 * The fixed plugin declares the role and the action asked for; a stack
 * without a fixed entry that loads would be refused before it runs (an
 * unknown role).  Such a stack gets a last entry that ignores every
 * answer, in both spellings: it changes nothing in either.
 */
static void declare(struct stack *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].answer != ANS_MISSING && !s->e[i].refused)
			return;
	snprintf(s->e[s->n].control, TEXT_MAX, "[default=ignore]");
	s->e[s->n].answer = ANS_ALLOW;
	s->e[s->n].refused = 0;
	s->n++;
}

/*
 * Writes the stacks, asks both, and returns how many disagree (printing the
 * first few).  Each stack is counted in *compared.
 */
static size_t run_stacks(struct stack *stacks, size_t n)
{
	const char *module = tu_getenv("PAM_DEBUG_MODULE");
	char *dir = tu_mkdir(env.dir, "pam.d", 0755);
	char *text = NULL;
	size_t len = 0, i, bad = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert(f != NULL);
	for (i = 0; i < n; i++) {
		declare(&stacks[i]);
		write_rolegate(f, i, &stacks[i]);
		write_pam(dir, i, &stacks[i], module);
	}
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(tu_open_text(&env, env.plugin_dir, text), RG_OK);
	free(text);
	for (i = 0; i < n; i++) {
		rg_decision d;
		int code;
		enum outcome pam = ask_pam(dir, i, &code);
		enum outcome rg = ask_rolegate(i, &d);
		int ok = rg == pam;

		if (has_refused(&stacks[i])) /* stricter, in the deny way */
			ok = d.result == RG_DENY && d.status == RG_ECONFIG;
		if (ok)
			continue;
		if (bad++ < SHOWN_MAX)
			fprintf(stderr,
			        "s%zu:%s: libpam %s (%d), rolegate %s (%s)\n",
			        i, show(&stacks[i]), outcome_names[pam], code,
			        outcome_names[rg], d.reason);
	}
	tu_rmtree(dir);
	free(dir);
	return bad;
}

/* ---- The edge cases ------------------------------------------------------ */

#define E(ctl, ans)                                                            \
	{                                                                      \
		ctl, ans, 0                                                    \
	}
#define REFUSED(ctl, ans)                                                      \
	{                                                                      \
		ctl, ans, 1                                                    \
	}

static const struct stack edges[] = {
    /* empty stack */
    {.n = 0},
    /* all abstain */
    {{E("required", ANS_ABSTAIN), E("optional", ANS_ABSTAIN),
      E("sufficient", ANS_ABSTAIN)},
     3},
    /* the five stacks that allowed before rolegate followed libpam */
    {{E("[default=ok]", ANS_MISSING), E("optional", ANS_ALLOW)}, 2},
    {{E("[allow=2]", ANS_ALLOW)}, 1},
    {{E("[error=ok]", ANS_ERROR)}, 1},
    {{E("[abstain=ok]", ANS_ABSTAIN)}, 1},
    {{E("[deny=ok]", ANS_DENY)}, 1},
    /* a kept deny is not undone by later allows */
    {{E("[deny=ok]", ANS_DENY), E("required", ANS_ALLOW),
      E("sufficient", ANS_ALLOW)},
     3},
    /* jump 0 (refused by both), jump past the end, jump to the end */
    {{REFUSED("[allow=0]", ANS_ALLOW), E("required", ANS_ALLOW)}, 2},
    {{E("[allow=3 default=ignore]", ANS_ALLOW), E("required", ANS_ALLOW)}, 2},
    {{E("required", ANS_ALLOW), E("[allow=1 default=ignore]", ANS_ALLOW),
      E("required", ANS_DENY)},
     3},
    /* a jump does not count the allow of the entry that jumps */
    {{E("[allow=1 default=bad]", ANS_ALLOW), E("required", ANS_DENY)}, 2},
    /* missing plugin under each word */
    {{E("required", ANS_MISSING), E("sufficient", ANS_ALLOW)}, 2},
    {{E("optional", ANS_MISSING), E("required", ANS_ALLOW)}, 2},
    {{E("sufficient", ANS_MISSING), E("required", ANS_ALLOW)}, 2},
    /* reset after a failure, and after a refused line */
    {{E("required", ANS_DENY), E("[default=reset]", ANS_ALLOW),
      E("required", ANS_ALLOW)},
     3},
    {{REFUSED("[allow=ok bogus]", ANS_ALLOW), E("[default=reset]", ANS_ALLOW),
      E("required", ANS_ALLOW)},
     3},
    /* a refused line after a sufficient allow */
    {{E("sufficient", ANS_ALLOW), REFUSED("[allow=ok bogus]", ANS_ALLOW)}, 2},
    /* die after ok, done after a failed required */
    {{E("required", ANS_ALLOW), E("[allow=die default=ok]", ANS_ALLOW),
      E("required", ANS_ALLOW)},
     3},
    {{E("required", ANS_DENY), E("[default=done]", ANS_ALLOW),
      E("required", ANS_ALLOW)},
     3},
    /* an abstention counted as a failure, an allow counted as one */
    {{E("[abstain=bad default=ok]", ANS_ABSTAIN), E("required", ANS_ALLOW)}, 2},
    {{E("[allow=bad default=ok]", ANS_ALLOW), E("[default=reset]", ANS_DENY),
      E("required", ANS_ALLOW)},
     3},
    /* errors: kept by ok, stopped by die, passed over by ignore */
    {{E("[error=done default=ok]", ANS_ERROR), E("required", ANS_ALLOW)}, 2},
    {{E("requisite", ANS_ERROR), E("required", ANS_ALLOW)}, 2},
    {{E("[error=ignore default=ok]", ANS_ERROR), E("required", ANS_ALLOW)}, 2},
};

START_TEST(test_edges)
{
	struct stack copy[RG_COUNTOF(edges)];

	memcpy(copy, edges, sizeof(edges));
	ck_assert_uint_eq(run_stacks(copy, RG_COUNTOF(copy)), 0);
}
END_TEST

/* ---- Random stacks ------------------------------------------------------- */

/* A small deterministic generator (xorshift32): the same stacks each run. */
struct rng {
	uint32_t s;
};

static size_t rng_below(struct rng *r, size_t n)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 17;
	r->s ^= r->s << 5;
	return n ? r->s % n : 0;
}

static void random_table(struct rng *r, char *out, size_t len)
{
	static const char *const keys[] = {"allow", "deny", "abstain", "error",
	                                   "default"};
	static const char *const actions[] = {"ok",     "done",  "bad", "die",
	                                      "ignore", "reset", "N"};
	size_t k, pos = 0;

	pos += (size_t)snprintf(out, len, "[");
	for (k = 0; k < RG_COUNTOF(keys) && pos < len; k++) {
		const char *act;

		/* Each key with odds 1/2; the last when none was chosen. */
		if (rng_below(r, 2) && !(k == RG_COUNTOF(keys) - 1 && pos == 1))
			continue;
		act = actions[rng_below(r, RG_COUNTOF(actions))];
		if (strcmp(act, "N") == 0)
			pos +=
			    (size_t)snprintf(out + pos, len - pos, "%s%s=%zu",
			                     pos > 1 ? " " : "", keys[k],
			                     1 + rng_below(r, JUMP_MAX));
		else
			pos +=
			    (size_t)snprintf(out + pos, len - pos, "%s%s=%s",
			                     pos > 1 ? " " : "", keys[k], act);
	}
	if (pos < len)
		snprintf(out + pos, len - pos, "]");
}

static void random_entry(struct rng *r, struct entry *e)
{
	static const char *const words[] = {"required", "requisite",
	                                    "sufficient", "optional"};
	static const char *const refused[] = {"[allow=ok bogus]", "[allow=0]",
	                                      "[deny=0 default=ok]"};

	e->refused = 0;
	e->answer = rng_below(r, MISSING_ODDS) == 0
	                ? ANS_MISSING
	                : (enum answer)rng_below(r, RG_COUNTOF(rg_results));
	if (rng_below(r, REFUSE_ODDS) == 0) {
		snprintf(e->control, TEXT_MAX, "%s",
		         refused[rng_below(r, RG_COUNTOF(refused))]);
		e->refused = 1;
	} else if (rng_below(r, WORD_ODDS) == 0) {
		snprintf(e->control, TEXT_MAX, "%s",
		         words[rng_below(r, RG_COUNTOF(words))]);
	} else {
		random_table(r, e->control, TEXT_MAX);
	}
}

START_TEST(test_random)
{
	static struct stack stacks[PER_ROUND];
	struct rng r = {SEED + (uint32_t)_i};
	size_t i, k, allowed = 0, errors = 0;

	for (i = 0; i < PER_ROUND; i++) {
		stacks[i].n = 1 + rng_below(&r, ENTRIES_MAX);
		for (k = 0; k < stacks[i].n; k++)
			random_entry(&r, &stacks[i].e[k]);
	}
	ck_assert_uint_eq(run_stacks(stacks, PER_ROUND), 0);
	/* The stacks are not all of one kind: each outcome is common. */
	for (i = 0; i < PER_ROUND; i++) {
		rg_decision d;
		enum outcome o = ask_rolegate(i, &d);

		allowed += o == OUT_ALLOW;
		errors += o == OUT_ERROR;
	}
	ck_assert_uint_gt(allowed, PER_ROUND / 20);
	ck_assert_uint_gt(errors, PER_ROUND / 20);
	ck_assert_uint_gt(PER_ROUND - allowed - errors, PER_ROUND / 20);
}
END_TEST

/* The mapping itself: rolegate's keys become PAM's, the rest is kept. */
START_TEST(test_pam_spelling)
{
	char out[TEXT_MAX];

	pam_control("required", out, sizeof(out));
	ck_assert_str_eq(out, "required");
	pam_control("[allow=ok deny=2 error=die default=bad]", out,
	            sizeof(out));
	ck_assert_str_eq(out, "[success=ok auth_err=2 system_err=die "
	                      "module_unknown=die default=bad]");
	pam_control("[allow=ok bogus]", out, sizeof(out));
	ck_assert_str_eq(out, "[success=ok bogus]");
}
END_TEST

static Suite *pam_suite(void)
{
	Suite *s = suite_create("pam");
	TCase *tc = tcase_create("libpam");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pam_spelling);
	tcase_add_test(tc, test_edges);
	tcase_add_loop_test(tc, test_random, 0, ROUNDS);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(pam_suite)
