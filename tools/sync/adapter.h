/*
 * adapter.h - inside the sync engine (rgsync.h): what adapters share.
 *
 * The generic part (engine.c, fetch.c) reads the product's REST API (or the
 * same JSON saved in a folder), lets the product's adapter build the state
 * the directory should have, compares it with the directory and applies the
 * difference in one transaction.  An adapter knows one product's endpoints
 * and fields only: a second product is one more file and one more line in
 * sync_adapters[] (engine.c).
 *
 * The desired state is a JSON object:
 *   {"users": {ID: {"name": TEXT,
 *                   "attrs": {ATTR: TEXT|null, ...},
 *                   "roles": [ROLE, ...],
 *                   "members": {KIND: [NAME, ...], ...}}, ...},
 *    "orgs": {KIND: {NAME: {"parent": NAME|null,
 *                           "attrs": {ATTR: TEXT|null, ...}}, ...}, ...},
 *    "settings": {KEY: TEXT, ...}}
 * with the plugin's ids (roles already mapped and checked).  Only the
 * attributes, member kinds and organisation kinds an adapter names are
 * compared; the directory's other data is left alone.
 */
#ifndef ROLEGATE_TOOLS_SYNC_ADAPTER_H
#define ROLEGATE_TOOLS_SYNC_ADAPTER_H

#include "private/rg_prim.h"
#include "rgsync.h"

/* Where the product's answers come from: its API, or a folder of them. */
struct sync_src {
	const char *url;     /* base URL (https://chat.example.com), or NULL */
	const char *api;     /* the API's path below url ("/api/v1/") */
	const char *dir;     /* folder of saved answers, or NULL */
	const char *headers; /* NUL-separated "Name: value" lines, for url */
	size_t headers_len;
	void *curl;               /* the libcurl handle, while fetching */
	const atomic_int *cancel; /* non-zero aborts a request, or NULL */
	char err[SYNC_MSG_MAX];
};

/* One sync at work: the command, the source, the role map, the result. */
struct sync {
	rg_context *ctx;
	const rg_service *svc;
	const char *service;
	int prune; /* absent upstream: removed, else kept */
	const struct sync_adapter *ad;
	struct sync_src src;
	json_t *map;      /* product role -> plugin id ("" ignores it) */
	char *map_path;   /* where the map came from, for messages */
	json_t *desired;  /* the state the adapter built */
	json_t *settings; /* the directory's settings, before the transaction */
	json_t *notices;  /* the result's: what the adapter left out */
};

/*
 * Called for each item of an answer's array; where names the endpoint or
 * file, page and index ("users.list.offset-0.json: users[3]").  Returns
 * RG_OK to go on, else the failure (with s->src.err set).
 */
typedef int (*sync_item_fn)(struct sync *s, json_t *item, const char *where,
                            void *data);

/* A product the tool can sync from. */
struct sync_adapter {
	const char *plugin; /* the plugin a service stacks for it */
	const char *doc;    /* where its API is documented */
	const char *api;    /* the API's path below --from's URL, "/"-ended */
	/* 1: product roles go by the plugin roles' display names (matched
	 * ignoring case); 0: by their ids. */
	int role_names;
	/* Authentication headers from the environment or the token file. */
	int (*auth)(struct sync *s, const char *token_file);
	/* Builds s->desired from the source; RG_OK or the failure (src.err). */
	int (*fetch)(struct sync *s);
};

extern const struct sync_adapter sync_rocketchat;
extern const struct sync_adapter sync_dataverse;

/* ---- fetch.c ----------------------------------------------------------- */

/*
 * Calls fn for each item of the array key of the answers of the API path
 * (e.g. "livechat/users/agent", below the adapter's api).  paged: the endpoint
 * pages with offset/count/total, and every page is read.  From a folder,
 * each answer is the file PATH.offset-N.json (paged) or PATH.json, with
 * the path's slashes as dots.  Any failure names the URL or the file.
 */
int sync_each(struct sync *s, const char *path, const char *key, int paged,
              sync_item_fn fn, void *data);

/*
 * The same for an OData endpoint (Dataverse), which pages by link: GET
 * PATH?QUERY, then each answer's "@odata.nextLink" (an absolute URL, which
 * must lie below the base URL: the token goes nowhere else) until an
 * answer has none.  From a folder, the answers are PATH.page-0.json, and
 * after a page with a next link PATH.page-N.json with the next N.
 */
int sync_each_linked(struct sync *s, const char *path, const char *query,
                     const char *key, sync_item_fn fn, void *data);

/*
 * The rest of an expanded collection (OData's $expand of a collection-
 * valued navigation property nav, e.g. a user's roles) that came paged
 * apart: when item has "NAV@odata.nextLink", calls fn for each item of
 * the "value" of the answer at that link, then of each next link's, by
 * the rules of sync_each_linked(); RG_OK at once when it has none.  path
 * is the collection's own ("systemusers(ID)/systemuserroles_association"):
 * the messages name it, and from a folder the answers are
 * PATH.page-1.json, PATH.page-2.json, ... (page 0 being the part that
 * came inline), the path's slashes as dots.  where names item.
 */
int sync_each_expanded(struct sync *s, const json_t *item, const char *where,
                       const char *nav, const char *path, sync_item_fn fn,
                       void *data);

/*
 * Reads the one answer of the API path (not paged) into *out, to
 * json_decref(); the file PATH.json from a folder.
 */
int sync_get(struct sync *s, const char *path, json_t **out);

/* Sets s->src.err (and returns rc): "WHERE: message". */
int sync_fail(struct sync *s, int rc, const char *fmt, ...) RG_PRINTF(3, 4);

/* Adds a header line ("X-Auth-Token: ...") for the requests. */
int sync_header(struct sync *s, const char *name, const char *value);

/*
 * Reads "Name: value" lines from a token file that only its owner may read
 * (else refused) and adds each as a header; blank lines and # comments are
 * skipped.
 */
int sync_token_file(struct sync *s, const char *path);

void sync_src_free(struct sync_src *src);

/* ---- sync.c: helpers for adapters --------------------------------------- */

/* A string member of obj, or NULL after sync_fail() naming where.key. */
const char *sync_str(struct sync *s, const json_t *obj, const char *key,
                     const char *where);

/*
 * The plugin's id for a product role (via the map, else the role of that
 * display name when the adapter says role_names, else the same name), or
 * NULL when the map says to ignore it.  *rc is RG_ENOROLE (with the
 * message naming where, the user and the role) when the service has no
 * such role.
 */
const char *sync_role(struct sync *s, const char *role, const char *user,
                      const char *where, int *rc);

/* The same for a role held by another holder than a user: holder names
 * it in the message ("team 'Sales'"). */
const char *sync_role_of(struct sync *s, const char *role, const char *holder,
                         const char *where, int *rc);

/* Adds the plugin's id for a product role (sync_role()) to the desired
 * user u; RG_OK, or sync_role()'s failure. */
int sync_add_role(struct sync *s, json_t *u, const char *role, const char *user,
                  const char *where);

/* The desired user id (created empty with name id when new). */
json_t *sync_user(struct sync *s, const char *id);

/* Says that the directory's entries of kind are compared (created empty). */
void sync_kind(struct sync *s, const char *kind);

/* The desired entry of kind called name (created when new). */
json_t *sync_org(struct sync *s, const char *kind, const char *name);

/* Sets the desired value of a service setting. */
void sync_setting(struct sync *s, const char *key, const char *value);

/* Says what upstream has that the directory does not model and the sync
 * left out: one line of the result's notices. */
void sync_notice(struct sync *s, const char *fmt, ...) RG_PRINTF(2, 3);

/* Appends value to the array member key of obj, once. */
void sync_add_unique(json_t *obj, const char *key, const char *value);

#endif /* ROLEGATE_TOOLS_SYNC_ADAPTER_H */
