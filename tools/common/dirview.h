/*
 * dirview.h - what a user and an organisation entry show, as the
 * rolegate tool and rolegated both show them (built into librgsync.la,
 * which each links).
 *
 * The members of a user or entry beyond its id, name, roles and parent
 * are what the services' plugins declare (rg_vocab_at()): a user
 * attribute is a member under its name, a kind users are members of is a
 * list under the kind's plural ("departments"), an entry's attribute is
 * a member under its name.  A value is text, or a JSON integer where the
 * declaration says RG_ATTR_INTEGER; unset is null, no membership [].
 */
#ifndef ROLEGATE_TOOLS_DIRVIEW_H
#define ROLEGATE_TOOLS_DIRVIEW_H

#include <stddef.h>

#include <jansson.h>

#include <rolegate/rolegate.h>

/* The most fields of one sort (user attributes, membership kinds or entry
 * attributes) a view holds; more are left out. */
#define RG_TOOL_VIEW_MAX 32
/* Room for a key made of a declared name ("departments", "max_chats"). */
#define RG_TOOL_WORD_MAX (2 * RG_ID_MAX)

/* One member of the objects: its declaration and its key. */
struct rg_tool_field {
	rg_vocab_info decl; /* strings are the context's */
	char key[RG_TOOL_WORD_MAX];
	size_t seq; /* the order it was found in */
};

/* The fields of users and entries, each sort in its order. */
struct rg_tool_view {
	struct rg_tool_field attr[RG_TOOL_VIEW_MAX];     /* user attributes */
	struct rg_tool_field kind[RG_TOOL_VIEW_MAX];     /* membership kinds */
	struct rg_tool_field org_attr[RG_TOOL_VIEW_MAX]; /* entry attributes */
	size_t nattrs, nkinds, norg_attrs;
};

/*
 * *v gets what svc declares, in its order: its user attributes, the
 * kinds of its workflows' memberships, then the other kinds users can be
 * members of (RG_ORG_MEMBERS), and its entries' attributes.
 */
void rg_tool_view_service(struct rg_tool_view *v, const rg_service *svc);

/*
 * *v gets what any service of ctx declares, each name once, ordered by
 * the plugin declaring it and then as that plugin does.  The objects of
 * every user (and entry) then have the same members whichever its
 * service, and in the same order whatever the configuration's order of
 * services: what the reads always gave their readers.
 */
void rg_tool_view_context(struct rg_tool_view *v, const rg_context *ctx);

/* A value as decl types it: an integer as a JSON integer, "" and NULL as
 * null, anything else as a string. */
json_t *rg_tool_value_json(const rg_vocab_info *decl, const char *value);

/*
 * obj gets v's user attributes of u, typed as u's service svc declares
 * them (else as v has them; svc may be NULL), then any attribute u has
 * that no declaration names, as text.  RG_OK or RG_ENOMEM.
 */
int rg_tool_user_attrs(json_t *obj, const struct rg_tool_view *v,
                       const rg_service *svc, const rg_user_info *u);

/* obj gets u's memberships of each kind of v, then of any kind v lacks,
 * each as an array under the kind's plural.  RG_OK or RG_ENOMEM. */
int rg_tool_user_members(json_t *obj, const struct rg_tool_view *v,
                         const rg_user_info *u);

/* obj gets v's entry attributes of o, typed as o's service svc declares
 * them for o's kind (else as v has them).  RG_OK or RG_ENOMEM. */
int rg_tool_org_attrs(json_t *obj, const struct rg_tool_view *v,
                      const rg_service *svc, const rg_org_info *o);

/* The plural of an English word: "departments", "business units". */
void rg_tool_plural(const char *word, char *buf, size_t len);

#endif /* ROLEGATE_TOOLS_DIRVIEW_H */
