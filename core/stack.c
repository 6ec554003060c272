/*
 * stack.c - PAM-style stacking of plugins in a service.
 *
 * Each entry's control maps the entry's result (allow, deny, abstain, error)
 * to an action, exactly as Linux-PAM's [value=action] table does; the four
 * control words are shorthands for tables:
 *
 *   required    [allow=ok   abstain=ignore default=bad]
 *   requisite   [allow=ok   abstain=ignore default=die]
 *   sufficient  [allow=done default=ignore]
 *   optional    [allow=ok   default=ignore]
 *
 * The actions follow libpam's _pam_dispatch_aux() as pam_acct_mgmt() runs
 * it (PAM's own authorization question), with allow = PAM_SUCCESS, deny and
 * error = failures, abstain = PAM_IGNORE and a plugin that did not load =
 * PAM_MODULE_UNKNOWN: see apply().  tests/check_pam.c runs random stacks
 * through the real libpam and through rolegate and requires the same
 * answers.  Where rolegate differs it only denies more, and
 * rolegate.conf(5) lists each difference: a service with a refused line
 * denies everything, whatever comes before or after it (libpam lets a
 * reset or an earlier done get past such a line).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_JUMP    255 /* a jump longer than any sane stack is a typo */
#define TABLE_WORDS 16

enum impression { IMP_UNDECIDED, IMP_POSITIVE, IMP_NEGATIVE };

static const char *const result_keys[RG_RESULT_COUNT] = {
    [RG_ALLOW] = "allow",
    [RG_DENY] = "deny",
    [RG_ABSTAIN] = "abstain",
    [RG_ERROR] = "error",
};

static const struct {
	const char *word;
	rg_action act[RG_RESULT_COUNT];
} shorthands[] = {
    {"required", {RG_ACT_OK, RG_ACT_BAD, RG_ACT_IGNORE, RG_ACT_BAD}},
    {"requisite", {RG_ACT_OK, RG_ACT_DIE, RG_ACT_IGNORE, RG_ACT_DIE}},
    {"sufficient", {RG_ACT_DONE, RG_ACT_IGNORE, RG_ACT_IGNORE, RG_ACT_IGNORE}},
    {"optional", {RG_ACT_OK, RG_ACT_IGNORE, RG_ACT_IGNORE, RG_ACT_IGNORE}},
};

static const struct {
	const char *word;
	rg_action act;
} action_words[] = {
    {"ignore", RG_ACT_IGNORE}, {"ok", RG_ACT_OK},   {"done", RG_ACT_DONE},
    {"bad", RG_ACT_BAD},       {"die", RG_ACT_DIE}, {"reset", RG_ACT_RESET},
};

void rg_control_broken(rg_control *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	for (r = 0; r < RG_RESULT_COUNT; r++)
		out->act[r] = RG_ACT_BAD;
}

static int parse_action(const char *s, rg_action *act, unsigned *jump)
{
	size_t i;
	char *end;
	long n;

	for (i = 0; i < RG_COUNTOF(action_words); i++)
		if (strcmp(s, action_words[i].word) == 0) {
			*act = action_words[i].act;
			*jump = 0;
			return RG_OK;
		}
	if (*s < '1' || *s > '9')
		return RG_EINVAL;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 1 || n > MAX_JUMP)
		return RG_EINVAL;
	*act = RG_ACT_JUMP;
	*jump = (unsigned)n;
	return RG_OK;
}

static int result_key(const char *s)
{
	int r;

	for (r = 0; r < RG_RESULT_COUNT; r++)
		if (strcmp(s, result_keys[r]) == 0)
			return r;
	if (strcmp(s, "default") == 0)
		return RG_RESULT_COUNT;
	return -1;
}

/* Parses one "result=action" word of a table into the slots. */
static int table_word(char *w, rg_action *act, unsigned *jump, int *set,
                      char *err, size_t errlen)
{
	char *eq = strchr(w, '=');
	int key;

	if (!eq || eq == w || !eq[1]) {
		snprintf(err, errlen,
		         "control table item '%s': expected RESULT=ACTION", w);
		return RG_ECONFIG;
	}
	*eq = '\0';
	key = result_key(w);
	if (key < 0) {
		snprintf(err, errlen,
		         "control table result '%s': expected allow, deny, "
		         "abstain, error or default",
		         w);
		return RG_ECONFIG;
	}
	if (set[key]) {
		snprintf(err, errlen, "control table sets '%s' twice", w);
		return RG_ECONFIG;
	}
	if (parse_action(eq + 1, &act[key], &jump[key]) != RG_OK) {
		snprintf(err, errlen,
		         "control table action '%s': expected ok, done, bad, "
		         "die, ignore, reset or a jump 1-%d",
		         eq + 1, MAX_JUMP);
		return RG_ECONFIG;
	}
	set[key] = 1;
	return RG_OK;
}

static int parse_table(const char *text, rg_control *out, char *err,
                       size_t errlen)
{
	/* One extra slot for "default". */
	rg_action act[RG_RESULT_COUNT + 1];
	unsigned jump[RG_RESULT_COUNT + 1];
	int set[RG_RESULT_COUNT + 1] = {0};
	char *copy, *words[TABLE_WORDS];
	size_t len = strlen(text);
	int n, i, r, rc = RG_OK;

	if (len < 2 || text[len - 1] != ']') {
		snprintf(err, errlen, "control table '%s' is not closed by ']'",
		         text);
		return RG_ECONFIG;
	}
	copy = rg_strndup(text + 1, len - 2);
	if (!copy)
		return RG_ENOMEM;
	n = rg_split_words(copy, words, TABLE_WORDS);
	if (n <= 0) {
		snprintf(err, errlen,
		         n == 0 ? "empty control table '%s'"
		                : "control table '%s' is too long",
		         text);
		rc = RG_ECONFIG;
		goto out;
	}
	for (i = 0; i < n && rc == RG_OK; i++)
		rc = table_word(words[i], act, jump, set, err, errlen);
	if (rc != RG_OK)
		goto out;
	/* Like PAM: what the table does not say is default, else bad. */
	for (r = 0; r < RG_RESULT_COUNT; r++) {
		if (set[r]) {
			out->act[r] = act[r];
			out->jump[r] = jump[r];
		} else if (set[RG_RESULT_COUNT]) {
			out->act[r] = act[RG_RESULT_COUNT];
			out->jump[r] = jump[RG_RESULT_COUNT];
		} else {
			out->act[r] = RG_ACT_BAD;
			out->jump[r] = 0;
		}
	}
out:
	free(copy);
	return rc;
}

int rg_control_parse(const char *text, rg_control *out, char *err,
                     size_t errlen)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[')
		return parse_table(text, out, err, errlen);
	for (i = 0; i < RG_COUNTOF(shorthands); i++)
		if (strcmp(text, shorthands[i].word) == 0) {
			memcpy(out->act, shorthands[i].act, sizeof(out->act));
			return RG_OK;
		}
	snprintf(err, errlen,
	         "unknown control '%s': expected required, requisite, "
	         "sufficient, optional or [RESULT=ACTION ...]",
	         text);
	return RG_ECONFIG;
}

/* ---- dispatch ------------------------------------------------------------ */

static void answer_init(rg_plugin_answer *ans, const rg_plugin_request *preq,
                        unsigned flags)
{
	ans->role = -1;
	ans->missing = -1;
	ans->status = RG_OK;
	ans->reason[0] = '\0';
	/* A trace shows reasons even when the decision does not. */
	ans->flags = (flags & RG_CHECK_NO_REASON) && !(flags & RG_CHECK_TRACE)
	                 ? RG_ANSWER_QUIET
	                 : 0;
	/* Told once here, where a plugin would ask once per kind. */
	if (!rg_request_has_facts(preq))
		ans->flags |= RG_ANSWER_NO_FACTS;
}

/* Runs one entry (preq->handle is h's); an entry that failed to load
 * always answers ERROR.  With rbac, the entry's answer is taken to be
 * rg_decide_rbac()'s, and the plugin is not called (rg_stack_rbac()). */
static inline __attribute__((always_inline)) rg_result
run_entry(const struct rg_plugin_handle *h, const rg_plugin_request *preq,
          unsigned flags, int rbac, rg_plugin_answer *ans)
{
	rg_result res;

	answer_init(ans, preq, flags);
	if (h->status != RG_OK) {
		ans->status = h->status;
		rg_strlcpy(ans->reason, h->error ? h->error : "entry failed",
		           sizeof(ans->reason));
		return RG_ERROR;
	}
	res = rbac ? rg_decide_rbac(preq, ans) : rg_call_decide(h, preq, ans);
	if ((unsigned)res >= RG_RESULT_COUNT) {
		ans->status = RG_EPLUGIN;
		rg_format(ans->reason, sizeof(ans->reason),
		          "plugin returned an invalid result (%d)", (int)res);
		return RG_ERROR;
	}
	/* Fail closed on a status outside the contract: a positive or
	 * unknown one, or an error status with an allow or an abstain (the
	 * plugin contradicts itself).  A deny stays a deny. */
	if (!rg_status_known(ans->status)) {
		rg_format(ans->reason, sizeof(ans->reason),
		          "plugin answered %s with an invalid status (%d): "
		          "taken as an error",
		          rg_result_name(res), ans->status);
		ans->status = RG_EPLUGIN;
		return RG_ERROR;
	}
	if (ans->status != RG_OK && (res == RG_ALLOW || res == RG_ABSTAIN)) {
		rg_format(
		    ans->reason, sizeof(ans->reason),
		    "plugin answered %s with status %s: taken as an error",
		    rg_result_name(res), rg_status_name(ans->status));
		return RG_ERROR;
	}
	if (res == RG_ERROR && ans->status == RG_OK)
		ans->status = RG_EPLUGIN;
	if (res != RG_ERROR)
		ans->status = RG_OK;
	/* The flag first: a quiet answer's reason is not read at all. */
	if (!(ans->flags & RG_ANSWER_QUIET) && !ans->reason[0])
		rg_format(ans->reason, sizeof(ans->reason),
		          "plugin answered %s", rg_result_name(res));
	return res;
}

/* Copies the id of a role index (custom roles included) of the request:
 * rg_request_role_id() of h's, without a copy of the request to make it
 * h's (every check with a reason copies two roles). */
static void copy_role(const rg_plugin_request *preq,
                      const struct rg_plugin_handle *h, long idx, char *dst)
{
	const char *id = rg_snapshot_role_id(h->svc, rg_request_ss(preq), idx);

	if (id)
		rg_strlcpy(dst, id, RG_ID_MAX);
	else
		dst[0] = '\0';
}

static void trace_add(const rg_plugin_request *preq,
                      const struct rg_plugin_handle *h, rg_result res,
                      const rg_plugin_answer *ans, rg_decision *out)
{
	rg_trace_entry *t;

	if (out->ntrace >= RG_TRACE_MAX)
		return;
	t = &out->trace[out->ntrace++];
	t->plugin = h->name;
	t->control = h->control_text;
	t->line = h->line;
	t->result = res;
	t->status = ans->status;
	copy_role(preq, h, ans->role, t->role);
	copy_role(preq, h, ans->missing, t->missing);
	rg_strlcpy(t->reason, ans->reason, sizeof(t->reason));
}

/*
 * The stack's state, kept as libpam's _pam_dispatch_aux() keeps it for
 * pam_acct_mgmt(): an impression (undecided, positive, negative) and a
 * status, the answer the stack would give if it ended now.  The status is
 * an entry's own result, or STATUS_FAIL (PAM_MUST_FAIL_CODE): nothing has
 * answered yet, an abstention was counted as a failure, or a jump went past
 * the end.  The stack allows only when it ends positive with an allow.
 *
 * The answer behind the status is not copied: the entry that set it wrote
 * it into one of two buffers, and the next entries write into the other
 * (see rg_stack_run()).
 */
#define STATUS_FAIL (-1)

enum fail_why {
	WHY_NONE,    /* nothing allowed (or a reset forgot it) */
	WHY_COUNTED, /* the control counted the entry's answer as a failure */
	WHY_JUMP,    /* the entry's jump went past the end of the stack */
};

struct verdict {
	enum impression imp;
	int status; /* an rg_result, or STATUS_FAIL */
	enum fail_why why;
	const struct rg_plugin_handle *by; /* who set the status, or NULL */
	rg_result res;                     /* by's own answer */
	const rg_plugin_answer *ans;
};

static void verdict_reset(struct verdict *v)
{
	v->imp = IMP_UNDECIDED;
	v->status = STATUS_FAIL;
	v->why = WHY_NONE;
	v->by = NULL;
	v->ans = NULL;
}

static void verdict_set(struct verdict *v, enum impression imp, int status,
                        enum fail_why why, const struct rg_plugin_handle *h,
                        rg_result res, const rg_plugin_answer *ans)
{
	v->imp = imp;
	v->status = status;
	v->why = why;
	v->by = h;
	v->res = res;
	v->ans = ans;
}

/*
 * Applies one entry's action, as _pam_dispatch_aux() does in the account
 * phase; returns 1 when the stack stops here.  left is the number of
 * entries after this one; *skip gets a jump's length.
 *
 *   ok, done  the entry's own answer becomes the status, unless the
 *             impression is negative or an earlier ok kept a non-allow
 *             (so [deny=ok] denies, and a later allow cannot undo it);
 *             done then stops a positive stack
 *   bad, die  the first failure is kept (an abstention counted as one is
 *             no answer of its own); die then stops
 *   reset     back to the start: undecided, nothing answered
 *   N         skips the next N entries and changes nothing else (in
 *             pam_acct_mgmt() a jump's side effect is ignore); a jump past
 *             the end fails the stack
 */
static inline __attribute__((always_inline)) int
apply(struct verdict *v, const struct rg_plugin_handle *h, rg_result res,
      const rg_plugin_answer *ans, size_t left, size_t *skip)
{
	const rg_control *c = &h->control;
	rg_action act = c->act[res];

	switch (act) {
	case RG_ACT_IGNORE:
		return 0;
	case RG_ACT_RESET:
		verdict_reset(v);
		return 0;
	case RG_ACT_OK:
	case RG_ACT_DONE:
		if (v->imp == IMP_UNDECIDED ||
		    (v->imp == IMP_POSITIVE && v->status == RG_ALLOW))
			verdict_set(v, IMP_POSITIVE, (int)res, WHY_NONE, h, res,
			            ans);
		return act == RG_ACT_DONE && v->imp == IMP_POSITIVE;
	case RG_ACT_BAD:
	case RG_ACT_DIE:
		if (v->imp != IMP_NEGATIVE)
			verdict_set(v, IMP_NEGATIVE,
			            res == RG_ABSTAIN ? STATUS_FAIL : (int)res,
			            WHY_COUNTED, h, res, ans);
		return act == RG_ACT_DIE;
	case RG_ACT_JUMP:
		if (c->jump[res] > left) {
			verdict_set(v, IMP_NEGATIVE, STATUS_FAIL, WHY_JUMP, h,
			            res, ans);
			return 1;
		}
		*skip = c->jump[res];
		return 0;
	}
	return 0;
}

/* "plugin: reason", by copies: this runs on every check with a reason. */
static size_t reason_from(const struct verdict *v, rg_decision *out)
{
	size_t n = rg_strlcpy(out->reason, v->by->name, sizeof(out->reason));

	if (n + 2 < sizeof(out->reason)) {
		out->reason[n] = ':';
		out->reason[n + 1] = ' ';
		n += 2 + rg_strlcpy(out->reason + n + 2, v->ans->reason,
		                    sizeof(out->reason) - n - 2);
	}
	return n < sizeof(out->reason) ? n : sizeof(out->reason) - 1;
}

/* Says why the entry's own answer was not the stack's, after its reason:
 * an allow or an abstention counted as a failure, an abstention kept by ok,
 * a jump past the end.  (A deny or an error is the stack's answer as it
 * is.) */
static void reason_note(const struct verdict *v, size_t n, rg_decision *out)
{
	const struct rg_plugin_handle *h = v->by;
	const char *what = rg_result_name(v->res);

	if (n >= sizeof(out->reason) - 1)
		return;
	if (v->why == WHY_JUMP)
		rg_format(out->reason + n, sizeof(out->reason) - n,
		          " (line %u: %s=%u jumps past the end of the stack)",
		          h->line, what, h->control.jump[v->res]);
	else if (v->why == WHY_COUNTED &&
	         (v->res == RG_ALLOW || v->res == RG_ABSTAIN))
		rg_format(out->reason + n, sizeof(out->reason) - n,
		          " (line %u: its control counts %s as a failure)",
		          h->line, what);
	else if (v->res == RG_ABSTAIN)
		rg_format(out->reason + n, sizeof(out->reason) - n,
		          " (line %u: its control makes an abstention the "
		          "stack's answer)",
		          h->line);
}

/* A service with a refused line denies everything (rolegate.conf(5)). */
static void finish_refused(const struct rg_service *svc, int quiet,
                           rg_decision *out)
{
	const struct rg_plugin_handle *h = svc->refused;

	out->result = RG_DENY;
	out->status = h->status;
	out->plugin = h->name;
	out->role[0] = out->missing[0] = out->reason[0] = '\0';
	if (!quiet)
		rg_format(
		    out->reason, sizeof(out->reason),
		    "service '%s' denies everything: line %u was refused: "
		    "%s",
		    svc->name, h->line, h->error);
}

static inline __attribute__((always_inline)) void
finish(const struct rg_service *svc, const rg_plugin_request *preq,
       const struct verdict *v, size_t nrun, unsigned flags, rg_decision *out)
{
	int quiet = (flags & RG_CHECK_NO_REASON) != 0;
	int allow = v->imp == IMP_POSITIVE && v->status == RG_ALLOW;

	if (svc->refused) {
		finish_refused(svc, quiet, out);
		return;
	}
	out->result = allow ? RG_ALLOW : RG_DENY;
	out->status = v->status == RG_ERROR ? v->ans->status : RG_OK;
	if (!v->by) {
		out->plugin = NULL;
		out->role[0] = out->missing[0] = '\0';
		if (quiet)
			out->reason[0] = '\0';
		else if (svc->nentries == 0)
			rg_format(out->reason, sizeof(out->reason),
			          "service '%s' has an empty stack", svc->name);
		else
			rg_format(
			    out->reason, sizeof(out->reason),
			    "no entry of service '%s' allowed the request "
			    "(%zu ran)",
			    svc->name, nrun);
		return;
	}
	out->plugin = v->by->name;
	if (quiet) {
		/* Only the result is wanted (RG_CHECK_NO_REASON). */
		out->role[0] = out->missing[0] = out->reason[0] = '\0';
		return;
	}
	copy_role(preq, v->by, v->ans->role, out->role);
	copy_role(preq, v->by, v->ans->missing, out->missing);
	reason_note(v, reason_from(v, out), out);
}

/* rg_stack_run(), or with rbac rg_stack_rbac() in full: one body, in
 * which each step is inlined (a copy of it would call them), at the cost
 * of a test of rbac per entry. */
static __attribute__((noinline)) void stack_run(const struct rg_service *svc,
                                                rg_plugin_request *preq,
                                                unsigned flags, int rbac,
                                                rg_decision *out)
{
	/* Two answers: the verdict's, and the one the next entry writes. */
	rg_plugin_answer ans[2];
	struct verdict v;
	size_t i, nrun = 0;
	unsigned cur = 0;
	rg_result res;

	verdict_reset(&v);
	out->ntrace = 0;
	for (i = 0; i < svc->nentries; i++) {
		const struct rg_plugin_handle *h = svc->entries[i];
		rg_plugin_answer *a = &ans[cur];
		size_t skip = 0;

		/* The request as each entry sees it: its own handle. */
		preq->handle = h;
		res = run_entry(h, preq, flags, rbac, a);

		nrun++;
		if (flags & RG_CHECK_TRACE)
			trace_add(preq, h, res, a, out);
		if (apply(&v, h, res, a, svc->nentries - i - 1, &skip))
			break;
		/* The verdict holds this answer now: write into the other. */
		if (v.ans == a)
			cur ^= 1u;
		i += skip;
	}
	finish(svc, preq, &v, nrun, flags, out);
}

/*
 * stack_run() of a stack of one entry, untraced: what most services are
 * (every shipped policy).  The same run_entry(), apply() and finish(), on
 * one answer and a verdict that starts undecided, without the loop's two
 * buffers and its bookkeeping.  Those three are always inlined: called out
 * of line from here they cost 60 instructions of the 84 this saves on each
 * check that the decision table leaves to the stack.
 */
static inline __attribute__((always_inline)) void
stack_one(const struct rg_service *svc, rg_plugin_request *preq, unsigned flags,
          int rbac, rg_decision *out)
{
	const struct rg_plugin_handle *h = svc->entries[0];
	rg_plugin_answer ans;
	struct verdict v;
	size_t skip = 0;
	rg_result res;

	preq->handle = h;
	res = run_entry(h, preq, flags, rbac, &ans);
	verdict_reset(&v);
	apply(&v, h, res, &ans, 0, &skip);
	out->ntrace = 0;
	finish(svc, preq, &v, 1, flags, out);
}

/* stack_one() when it answers as stack_run() would, else stack_run(). */
static inline __attribute__((always_inline)) void
stack_any(const struct rg_service *svc, rg_plugin_request *preq, unsigned flags,
          int rbac, rg_decision *out)
{
	if (svc->nentries == 1 && !(flags & RG_CHECK_TRACE))
		stack_one(svc, preq, flags, rbac, out);
	else
		stack_run(svc, preq, flags, rbac, out);
}

void rg_stack_run(const struct rg_service *svc, rg_plugin_request *preq,
                  unsigned flags, rg_decision *out)
{
	stack_any(svc, preq, flags, 0, out);
}

/* Whether the entry's control makes its answer res the stack's as it is:
 * apply() then makes the verdict that answer, and finish() writes
 * "plugin: reason" with no note and status RG_OK. */
static int control_keeps(const rg_control *c, rg_result res)
{
	rg_action act = c->act[res];

	if (act == RG_ACT_OK || act == RG_ACT_DONE)
		return 1;
	return res == RG_DENY && (act == RG_ACT_BAD || act == RG_ACT_DIE);
}

/* The one entry h's answer res as the stack's, the role (rlen bytes; NULL:
 * none) its own: all of out but the reason. */
static void entry_answer(const struct rg_plugin_handle *h, rg_result res,
                         const char *role, size_t rlen, rg_decision *out)
{
	out->result = res;
	out->status = RG_OK;
	out->plugin = h->name;
	memcpy(out->role, role ? role : "", rlen + 1);
	out->missing[0] = '\0';
	out->ntrace = 0;
}

/*
 * rg_stack_rbac()'s usual case, written straight into out: a role grants
 * the privilege (or no role of the subject does), the entry's control
 * keeps that answer, and the reason fits.  Then rg_decide_rbac()'s answer
 * through apply() and finish() is exactly this: the entry's result, its
 * name, the granting role and "plugin: ROLE grants ACTION" or "plugin: no
 * role of the subject grants ACTION".  0 for anything else (a grant a
 * missing role blocks, another control, a reason that would be cut),
 * with out untouched.
 */
static int rbac_short(const rg_plugin_request *preq, rg_decision *out)
{
	static const char grants[] = " grants ";
	static const char none[] = "no role of the subject grants ";
	const struct rg_plugin_handle *h = preq->handle;
	const struct rg_priv *p;
	const char *role = NULL;
	size_t nlen, rlen, alen, pos;
	rg_grant_info g;
	rg_result res;

	if (preq->action < 0 || (size_t)preq->action >= h->svc->reg.nprivs)
		return 0;
	/* The declared id: the same bytes as the request's, its length
	 * known. */
	p = &h->svc->reg.privs[preq->action];
	if (rg_effective(preq, preq->roles, (uint32_t)preq->action, &g)) {
		role = rg_snapshot_role_id(h->svc, rg_request_ss(preq), g.role);
		if (!role)
			return 0;
		res = RG_ALLOW;
	} else if (g.blocked < 0) {
		res = RG_DENY;
	} else {
		return 0;
	}
	if (!control_keeps(&h->control, res))
		return 0;
	nlen = h->name_len;
	alen = p->id_len;
	rlen = role ? strlen(role) : 0;
	if (rlen >= sizeof(out->role) ||
	    nlen + 2 + (role ? rlen + sizeof(grants) : sizeof(none)) + alen >
	        sizeof(out->reason))
		return 0;
	entry_answer(h, res, role, rlen, out);
	memcpy(out->reason, h->name, nlen);
	memcpy(out->reason + nlen, ": ", 2);
	pos = nlen + 2;
	if (role) {
		memcpy(out->reason + pos, role, rlen);
		memcpy(out->reason + pos + rlen, grants, sizeof(grants) - 1);
		pos += rlen + sizeof(grants) - 1;
	} else {
		memcpy(out->reason + pos, none, sizeof(none) - 1);
		pos += sizeof(none) - 1;
	}
	memcpy(out->reason + pos, p->id, alen + 1);
	return 1;
}

void rg_stack_rbac(const struct rg_service *svc, rg_plugin_request *preq,
                   unsigned flags, rg_decision *out)
{
	if (!rbac_short(preq, out))
		stack_any(svc, preq, flags, 1, out);
}

int rg_stack_scope(const struct rg_service *svc,
                   const struct rg_snap_service *ss, rg_result res,
                   const struct rg_scope_why *why, const char *text,
                   const char *id, const char *value, rg_decision *out)
{
	const struct rg_plugin_handle *h = svc->entries[0];
	const char *role = NULL;
	/* What a stand-in stands for (rg_scope_mark), each measured once. */
	const char *fill[] = {
	    [RG_SCOPE_MARK_VALUE] = value, [RG_SCOPE_MARK_USER] = id};
	size_t fill_len[] = {[RG_SCOPE_MARK_VALUE] = strlen(value),
	                     [RG_SCOPE_MARK_USER] = strlen(id)};
	size_t rlen = 0, total, pos, from, k, m;

	/* As rbac_short(): then apply() and finish() give the entry's
	 * answer as "plugin: reason", with no note. */
	if (!control_keeps(&h->control, res))
		return 0;
	if (why->role >= 0) {
		role = rg_snapshot_role_id(svc, ss, why->role);
		if (!role)
			return 0;
		rlen = strlen(role);
		if (rlen >= sizeof(out->role))
			return 0;
	}
	total = h->name_len + 2 + why->len;
	for (k = 0; k < why->nmarks; k++)
		total += fill_len[why->kind[k]];
	/* A reason decide() would have cut: the stack cuts it. */
	if (total >= sizeof(out->reason))
		return 0;
	memcpy(out->reason, h->name, h->name_len);
	memcpy(out->reason + h->name_len, ": ", 2);
	pos = h->name_len + 2;
	for (k = 0, from = 0; k < why->nmarks; k++) {
		memcpy(out->reason + pos, text + from, why->at[k] - from);
		pos += why->at[k] - from;
		from = why->at[k];
		m = why->kind[k];
		memcpy(out->reason + pos, fill[m], fill_len[m]);
		pos += fill_len[m];
	}
	memcpy(out->reason + pos, text + from, why->len - from);
	out->reason[pos + why->len - from] = '\0';
	entry_answer(h, res, role, rlen, out);
	return 1;
}

/* ---- lint ---------------------------------------------------------------- */

/* Room for the "result=action" words a warning quotes. */
#define QUOTE_MAX 64

/* Appends "result=action" for each result in which to q. */
static void quote(const rg_control *c, const int *which, char *q, size_t len)
{
	size_t pos = 0;
	int r;

	q[0] = '\0';
	for (r = 0; r < RG_RESULT_COUNT && pos < len; r++) {
		const char *act = "";
		size_t i;

		if (!which[r])
			continue;
		for (i = 0; i < RG_COUNTOF(action_words); i++)
			if (action_words[i].act == c->act[r])
				act = action_words[i].word;
		pos += (size_t)snprintf(q + pos, len - pos, "%s%s=%s",
		                        pos ? " " : "", result_keys[r], act);
	}
}

/* Warns about the results of h's table that ok or done makes the answer
 * although they are not an allow, and an allow that counts as a failure. */
static void lint_table(struct rg_context *ctx, const struct rg_plugin_handle *h)
{
	const rg_control *c = &h->control;
	int keeps[RG_RESULT_COUNT] = {0}, fails[RG_RESULT_COUNT] = {0};
	int r, nkeeps = 0, ignored = 0;
	char q[QUOTE_MAX];

	for (r = 0; r < RG_RESULT_COUNT; r++) {
		rg_action a = c->act[r];

		keeps[r] =
		    r != RG_ALLOW && (a == RG_ACT_OK || a == RG_ACT_DONE);
		nkeeps += keeps[r];
		ignored += a == RG_ACT_IGNORE;
	}
	fails[RG_ALLOW] =
	    c->act[RG_ALLOW] == RG_ACT_BAD || c->act[RG_ALLOW] == RG_ACT_DIE;
	if (nkeeps) {
		quote(c, keeps, q, sizeof(q));
		rg_warn(ctx, h->file, h->line,
		        "%s %s: %s makes that answer the stack's: the service "
		        "denies (or fails, for error) even if a later entry "
		        "allows; write bad or die to fail the stack, ignore to "
		        "pass over",
		        h->control_text, h->name, q);
	}
	if (fails[RG_ALLOW]) {
		quote(c, fails, q, sizeof(q));
		rg_warn(ctx, h->file, h->line,
		        "%s %s: %s counts the plugin's allow as a failure (a "
		        "result a table does not name is bad)",
		        h->control_text, h->name, q);
	}
	if (ignored == RG_RESULT_COUNT)
		rg_warn(ctx, h->file, h->line,
		        "%s %s: ignores every answer: the entry never changes "
		        "the decision",
		        h->control_text, h->name);
}

void rg_stack_lint(struct rg_context *ctx, const struct rg_service *svc)
{
	size_t i;
	int r;

	for (i = 0; i < svc->nentries; i++) {
		const struct rg_plugin_handle *h = svc->entries[i];
		size_t left = svc->nentries - i - 1;

		if (h->refused || h->control_text[0] != '[')
			continue; /* refused, or a shorthand: nothing odd */
		for (r = 0; r < RG_RESULT_COUNT; r++)
			if (h->control.act[r] == RG_ACT_JUMP &&
			    h->control.jump[r] > left)
				rg_diag(
				    ctx, h->file, h->line,
				    "%s %s: %s=%u jumps past the end of the "
				    "stack of service %s (%zu entr%s "
				    "follow%s): the service denies whenever "
				    "the plugin answers %s",
				    h->control_text, h->name, result_keys[r],
				    h->control.jump[r], svc->name, left,
				    left == 1 ? "y" : "ies",
				    left == 1 ? "s" : "", result_keys[r]);
		lint_table(ctx, h);
	}
}
