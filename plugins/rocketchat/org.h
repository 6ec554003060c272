/*
 * org.h - the workspace organisation one decision sees: units, departments
 * (their unit and chat limit) and the default chat limit, read from the
 * directory when it has them, else from the tenant file.
 *
 * Internal to the rocketchat plugin.  Everything here works on the
 * request's snapshot or on the read-only tenant: no allocation, no lock.
 */
#ifndef ROLEGATE_ROCKETCHAT_ORG_H
#define ROLEGATE_ROCKETCHAT_ORG_H

#include <stddef.h>

#include <rolegate/plugin.h>

#include "tenant.h"

/*
 * Units and departments come from one source, so that a department's unit
 * is always a unit of the same source: the directory as soon as it holds
 * a unit or a department of the service, else the tenant file (or nothing
 * when there is none).  The default chat limit is a setting of its own:
 * the directory's ("setting", "default_max_chats") when set, else the
 * tenant file's [tenant] max_chats.
 */
enum rc_org_source {
	RC_ORG_NONE,      /* no directory data and no tenant file */
	RC_ORG_TENANT,    /* the tenant file */
	RC_ORG_DIRECTORY, /* the directory's facts */
};

/*
 * Which source applies costs two fact counts, and many decisions need
 * none (no department, a directory user's own lists): it is worked out on
 * first use, so the functions below take the org non-const.
 */
struct rc_org {
	enum rc_org_source source;
	int resolved; /* source and units are set */
	int no_facts; /* the core said every count is 0 (RG_ANSWER_NO_FACTS) */
	size_t units; /* units of the source */
	const rg_plugin_request *req;
	const struct rc_tenant *tenant;
};

/* A department as a decision sees it. */
struct rc_dept {
	int known;        /* the source has it (or no source is known) */
	const char *unit; /* its unit's id, or NULL */
	long max_chats;   /* 0: not set */
};

/* What looking a department up found. */
enum rc_dept_lookup {
	RC_DEPT_FOUND,
	RC_DEPT_UNKNOWN, /* the source does not have it */
	RC_DEPT_BAD,     /* the directory's max_chats is not a count */
};

/* Looks nothing up yet.  ans_flags are the answer's (0 when there is
 * none): with RG_ANSWER_NO_FACTS the source is chosen without counting. */
void rc_org_init(struct rc_org *org, const rg_plugin_request *req,
                 const struct rc_tenant *tenant, unsigned ans_flags);

/*
 * Starts with the source already known, as a prepared snapshot found it
 * (the same snapshot and tenant: resolve() would find the same).
 */
void rc_org_init_resolved(struct rc_org *org, const rg_plugin_request *req,
                          const struct rc_tenant *tenant,
                          enum rc_org_source source, size_t units);

/* "the directory", "the tenant file" or "no tenant file", for reasons. */
const char *rc_org_source_name(struct rc_org *org);

/* 1 when the source is the directory. */
int rc_org_from_directory(struct rc_org *org);

/* 1 when units and departments can be checked against a source. */
int rc_org_checked(struct rc_org *org);

/* 1 when the workspace has at least one unit. */
int rc_org_has_units(struct rc_org *org);

/* 1 when the len bytes at id (a valid id) name a unit of the source. */
int rc_org_unit(struct rc_org *org, const char *id, size_t len);

/*
 * Looks the department whose id is the len bytes at id (a valid id) up.
 * Without a source every department is found, in no unit, with no limit.
 * *bad gets the directory's value when it is RC_DEPT_BAD.
 */
enum rc_dept_lookup rc_org_department(struct rc_org *org, const char *id,
                                      size_t len, struct rc_dept *out,
                                      const char **bad);

/*
 * The default per-agent chat limit in *out (0: none); *from_directory is 1
 * when the directory's setting gave it.  Returns 1, or 0 when that setting
 * is not a count (*bad is then its text).
 */
int rc_org_default_limit(const struct rc_org *org, long *out,
                         int *from_directory, const char **bad);

/* The workspace's on/off settings, named in doc/rocketchat.md. */
#define RC_SETTING_WAITING_QUEUE "waiting_queue"
#define RC_SETTING_ACCEPT_IDLE   "accept_when_idle"

/* The on/off settings take-inquiry reads. */
enum rc_switch {
	RC_SWITCH_ACCEPT_IDLE,   /* RC_SETTING_ACCEPT_IDLE */
	RC_SWITCH_WAITING_QUEUE, /* RC_SETTING_WAITING_QUEUE */
	RC_SWITCH_COUNT
};

/* The setting's key: RC_SETTING_ACCEPT_IDLE or RC_SETTING_WAITING_QUEUE. */
const char *rc_switch_key(enum rc_switch sw);

/*
 * An on/off setting: the directory's ("setting", key, "value") when set,
 * else the tenant file's (or the product's default).  Returns 1 with *on
 * and *from_directory set, or 0 when the directory's value is neither on
 * nor off (*bad is then its text).
 */
int rc_org_switch(const struct rc_org *org, enum rc_switch sw, int *on,
                  int *from_directory, const char **bad);

#endif /* ROLEGATE_ROCKETCHAT_ORG_H */
