/*
 * check.c - deciding requests and validating role sets.
 *
 * The decision path: look the service up, resolve the subject to a role
 * set and the action to a privilege index (all hash lookups into tables
 * built at open), then run the stack.  Nothing here allocates or locks, and
 * every failure is a deny with a status and a reason.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void decision_reset(rg_decision *out)
{
	/* Not a memset: the trace is large and filled only on demand. */
	out->result = RG_DENY;
	out->status = RG_OK;
	out->plugin = NULL;
	out->role[0] = '\0';
	out->missing[0] = '\0';
	out->reason[0] = '\0';
	out->ntrace = 0;
}

void rg_decision_deny(rg_decision *out, int status, const char *fmt, ...)
{
	va_list ap;

	out->result = RG_DENY;
	out->status = status;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* 1 when every attribute has a key and a value (n == 0 allows NULL). */
static int attrs_valid(const rg_attr *attrs, size_t n)
{
	size_t i;

	if (n && !attrs)
		return 0;
	for (i = 0; i < n; i++)
		if (!attrs[i].key || !attrs[i].value || !attrs[i].key[0])
			return 0;
	return 1;
}

int rg_subject_roles(const struct rg_service *svc, const rg_subject *subject,
		     rg_roleset *roles, rg_decision *out)
{
	char bad[RG_ID_MAX];

	if (subject->user) {
		/* Users are resolved by a directory; none is configured. */
		rg_decision_deny(out, RG_ENOUSER,
				 "unknown user '%s': service '%s' has no "
				 "directory of users",
				 subject->user, svc->name);
		return RG_ENOUSER;
	}
	if (!subject->roles) {
		rg_decision_deny(out, RG_EINVAL,
				 "the request names no subject (user or roles)");
		return RG_EINVAL;
	}
	if (!attrs_valid(subject->attrs, subject->nattrs)) {
		/* A scope attribute without a value must not widen access. */
		rg_decision_deny(out, RG_EINVAL,
				 "a subject attribute has no key or no value");
		return RG_EINVAL;
	}
	if (rg_registry_parse_roles(&svc->reg, subject->roles, roles, bad) !=
	    RG_OK) {
		rg_decision_deny(out, RG_ENOROLE,
				 "unknown role '%s' in service '%s'", bad,
				 svc->name);
		return RG_ENOROLE;
	}
	return RG_OK;
}

/* Resolves the action: its index, or -1 when the service declares none. */
static int resolve_action(const struct rg_service *svc, const char *action,
			  long *idx, rg_decision *out)
{
	*idx = -1;
	if (!rg_id_valid(action)) {
		rg_decision_deny(out, RG_ENOACTION, "invalid action id '%.*s'",
				 RG_ID_MAX, action);
		return RG_ENOACTION;
	}
	*idx = rg_intern_get(&svc->reg.priv_ix, action);
	/* A service whose plugins declare no privileges (permit, deny) takes
	 * any action; one that declares privileges knows all of its own. */
	if (*idx < 0 && svc->reg.nprivs > 0) {
		rg_decision_deny(out, RG_ENOACTION,
				 "unknown action '%s' in service '%s'", action,
				 svc->name);
		return RG_ENOACTION;
	}
	return RG_OK;
}

int rg_check_roles(const struct rg_context *ctx, const struct rg_service *svc,
		   const rg_request *req, const rg_roleset *roles,
		   unsigned flags, rg_decision *out)
{
	rg_plugin_request preq;
	long action;
	int rc;

	decision_reset(out);
	rc = resolve_action(svc, req->action, &action, out);
	if (rc != RG_OK)
		return rc;
	preq.handle = NULL;
	preq.service = svc->name;
	preq.user = req->subject.user;
	preq.roles = roles;
	preq.action = action;
	preq.action_id = req->action;
	if (!attrs_valid(req->attrs, req->nattrs)) {
		rg_decision_deny(out, RG_EINVAL,
				 "a request attribute has no key or no value");
		return RG_EINVAL;
	}
	preq.subject_attrs = req->subject.attrs;
	preq.nsubject_attrs = req->subject.nattrs;
	preq.attrs = req->attrs;
	preq.nattrs = req->nattrs;
	rg_stack_run(svc, &preq, flags, out);
	return out->status;
}

int rg_check(const rg_context *ctx, const rg_request *req, unsigned flags,
	     rg_decision *out)
{
	const struct rg_service *svc;
	rg_decision scratch;
	rg_roleset roles;
	int rc;

	if (!out)
		out = &scratch;
	decision_reset(out);
	if (!ctx || !req || !req->service || !req->action) {
		rg_decision_deny(out, RG_EINVAL,
				 "incomplete request: service, subject and "
				 "action are required");
		return RG_EINVAL;
	}
	svc = rg_service_find(ctx, req->service);
	if (!svc) {
		rg_decision_deny(out, RG_ENOSERVICE, "unknown service '%.*s'",
				 RG_ID_MAX, req->service);
		return RG_ENOSERVICE;
	}
	rc = rg_subject_roles(svc, &req->subject, &roles, out);
	if (rc != RG_OK)
		return rc;
	rc = rg_check_roles(ctx, svc, req, &roles, flags, out);
	rg_log(ctx, RG_LOG_DEBUG, "%s %s %s: %s (%s)", req->service,
	       req->subject.user ? req->subject.user : req->subject.roles,
	       req->action, rg_result_name(out->result), out->reason);
	return rc;
}

int rg_allowed(const rg_context *ctx, const rg_request *req)
{
	rg_decision d;

	return rg_check(ctx, req, 0, &d) == RG_OK && d.result == RG_ALLOW;
}

int rg_validate(const rg_context *ctx, const char *service,
		const rg_subject *subject, rg_validation *out)
{
	const struct rg_service *svc;
	rg_plugin_request preq;
	rg_decision d;
	rg_roleset roles;
	size_t i;
	int rc;

	if (!ctx || !service || !subject || !out)
		return RG_EINVAL;
	/* Not valid until proven so. */
	out->ok = 0;
	out->nmissing = 0;
	svc = rg_service_find(ctx, service);
	if (!svc)
		return RG_ENOSERVICE;
	rc = rg_subject_roles(svc, subject, &roles, &d);
	if (rc != RG_OK)
		return rc;
	memset(&preq, 0, sizeof(preq));
	preq.service = svc->name;
	preq.user = subject->user;
	preq.roles = &roles;
	preq.action = -1;
	preq.subject_attrs = subject->attrs;
	preq.nsubject_attrs = subject->nattrs;
	for (i = 0; i < svc->nentries; i++) {
		const struct rg_plugin_handle *h = svc->entries[i];

		/* A plugin that did not load cannot vouch for anything. */
		if (h->status != RG_OK) {
			out->ok = 0;
			return h->status;
		}
		preq.handle = h;
		rc = h->vt->validate ? h->vt->validate(h->state, &preq, out)
				     : rg_validate_prereqs(&preq, out);
		if (rc != RG_OK) {
			out->ok = 0;
			return rc;
		}
	}
	out->ok = out->nmissing == 0;
	return RG_OK;
}
