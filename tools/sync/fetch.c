/*
 * fetch.c - reading a product's REST API for `rolegate sync`: over HTTPS
 * with libcurl (TLS verified, timeouts, a size cap, paging), or the same
 * answers saved in a folder.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "adapter.h"

/* Items asked for per page; the server may answer with fewer. */
#define PAGE_COUNT 100
/* Pages of one endpoint at most: a server that never ends is an error. */
#define PAGES_MAX 10000
/* Where an OData answer says that another page follows. */
#define NEXT_LINK "@odata.nextLink"
/* Seconds to connect, and for a whole request. */
#define CONNECT_TIMEOUT_S 10L
#define REQUEST_TIMEOUT_S 60L
/* The largest answer read (one page). */
#define ANSWER_MAX ((size_t)16 << 20)
/* Room for a URL or a file name (Dataverse's next links carry a paging
 * cookie of several hundred bytes). */
#define LOCATION_MAX 8192
/* The longest token file. */
#define TOKEN_FILE_MAX ((size_t)64 << 10)
/* Permission bits a token file must not have (group and others). */
#define TOKEN_FILE_PRIVATE 077u
/* The HTTP statuses the messages explain. */
#define HTTP_OK           200L
#define HTTP_UNAUTHORIZED 401L
#define HTTP_FORBIDDEN    403L

int sync_fail(struct sync *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->src.err, sizeof(s->src.err), fmt, ap);
	va_end(ap);
	return rc;
}

int sync_header(struct sync *s, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 3;
	char *grown;

	if (strpbrk(value, "\r\n") || !*value)
		return sync_fail(s, RG_EINVAL,
		                 "%s: an empty value or a line "
		                 "break",
		                 name);
	grown = realloc((char *)s->src.headers, s->src.headers_len + len);
	if (!grown)
		return sync_fail(s, RG_ENOMEM, "out of memory");
	snprintf(grown + s->src.headers_len, len, "%s: %s", name, value);
	s->src.headers = grown;
	s->src.headers_len += len;
	return RG_OK;
}

/* Reads the whole of fd (at most max bytes) into a string to free(). */
static char *read_all(int fd, size_t max)
{
	char *buf = malloc(max + 1);
	size_t used = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	while (used < max && (n = read(fd, buf + used, max - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	return buf;
}

/* Adds the header of one "Name: value" line of the token file. */
static int token_line(struct sync *s, const char *path, unsigned lineno,
                      char *line)
{
	char *colon = strchr(line, ':');
	char *value;

	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return RG_OK;
	if (!colon)
		return sync_fail(s, RG_EINVAL,
		                 "%s:%u: not a 'Name: value' line", path,
		                 lineno);
	*colon = '\0';
	value = colon + 1;
	while (isspace((unsigned char)*value))
		value++;
	/* The value itself is never printed: it is the secret. */
	if (sync_header(s, line, value) != RG_OK)
		return sync_fail(s, RG_EINVAL, "%s:%u: %s has no value", path,
		                 lineno, line);
	return RG_OK;
}

int sync_token_file(struct sync *s, const char *path)
{
	char why[SYNC_MSG_MAX] = "";
	struct stat st;
	char *text, *line, *next;
	unsigned lineno = 0;
	int fd, rc;

	rc = rg_file_open(path, TOKEN_FILE_MAX, &fd, why, sizeof(why));
	if (rc != RG_OK)
		return sync_fail(s, rc, "%s: %s", path, why);
	if (fstat(fd, &st) != 0 || (st.st_mode & TOKEN_FILE_PRIVATE)) {
		close(fd);
		return sync_fail(s, RG_EREFUSED,
		                 "%s: others may read it (chmod 600 it)", path);
	}
	text = read_all(fd, TOKEN_FILE_MAX);
	close(fd);
	if (!text)
		return sync_fail(s, RG_ENOMEM, "out of memory");
	for (line = text; line && rc == RG_OK; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		rc = token_line(s, path, ++lineno, line);
	}
	free(text);
	return rc;
}

void sync_src_free(struct sync_src *src)
{
	if (src->curl)
		curl_easy_cleanup(src->curl);
	free((char *)src->headers);
	memset(src, 0, sizeof(*src));
}

/* ---- over HTTP ---------------------------------------------------------- */

struct answer {
	char *data;
	size_t len;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct answer *ans = user;
	size_t n = size * nmemb;
	char *grown;

	if (n > ANSWER_MAX - ans->len) {
		ans->too_big = 1;
		return 0; /* ends the transfer with an error */
	}
	grown = realloc(ans->data, ans->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + ans->len, ptr, n);
	ans->len += n;
	grown[ans->len] = '\0';
	ans->data = grown;
	return n;
}

/* The request's headers as a libcurl list, or NULL when out of memory. */
static struct curl_slist *header_list(const struct sync_src *src)
{
	struct curl_slist *list = curl_slist_append(NULL, "Accept: "
	                                                  "application/json");
	size_t at;

	for (at = 0; list && at < src->headers_len;
	     at += strlen(src->headers + at) + 1) {
		struct curl_slist *more =
		    curl_slist_append(list, src->headers + at);

		if (!more) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = more;
	}
	return list;
}

/* libcurl's progress callback: non-zero aborts the transfer. */
static int on_progress(void *cancel, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load((const atomic_int *)cancel) != 0;
}

/* Sets the options every request uses; CURLE_OK or the first failure. */
static CURLcode setup(CURL *c, struct answer *ans, struct curl_slist *hdrs,
                      const atomic_int *cancel)
{
	CURLcode rc = CURLE_OK;

	/* https always; http is refused unless the URL was checked to be
	 * this machine's (url_allowed()); never a redirect elsewhere. */
#define SET(opt, val)                                                          \
	if (rc == CURLE_OK)                                                    \
	rc = curl_easy_setopt(c, opt, val)
	SET(CURLOPT_PROTOCOLS_STR, "https,http");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	SET(CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ANSWER_MAX);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, ans);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_USERAGENT, "rolegate-sync/" PACKAGE_VERSION);
	/* A daemon stopping or reloading does not wait for a slow server. */
	if (cancel) {
		SET(CURLOPT_NOPROGRESS, 0L);
		SET(CURLOPT_XFERINFOFUNCTION, on_progress);
		SET(CURLOPT_XFERINFODATA, (void *)cancel);
	}
#undef SET
	return rc;
}

/* Room for what a failed answer says about itself. */
#define SAID_MAX (SYNC_MSG_MAX / 2)

/* What a failed answer says about itself ("message" or "error"), or "",
 * into said (SAID_MAX bytes: several syncs may run at once). */
static const char *server_says(const char *body, char *said)
{
	static const char *const keys[] = {"message", "error"};
	json_t *obj = body ? json_loads(body, 0, NULL) : NULL;
	size_t i;

	said[0] = '\0';
	for (i = 0; i < RG_COUNTOF(keys) && !said[0]; i++) {
		json_t *v = json_object_get(obj, keys[i]);

		/* OData nests it: {"error": {"code": ..., "message": ...}}. */
		if (json_is_object(v))
			v = json_object_get(v, "message");
		if (json_is_string(v))
			rg_escape(json_string_value(v), 0, said, SAID_MAX);
	}
	json_decref(obj);
	return said;
}

/* GETs url into *out (parsed); the messages name it name ("GET url" when
 * NULL). */
static int http_get(struct sync *s, const char *url, const char *name,
                    json_t **out)
{
	char what[LOCATION_MAX], said[SAID_MAX];
	struct answer ans = {NULL, 0, 0};
	struct curl_slist *hdrs = header_list(&s->src);
	json_error_t jerr;
	long status = 0;
	CURLcode crc;
	int rc = RG_EIO;

	if (!s->src.curl)
		s->src.curl = curl_easy_init();
	if (!hdrs || !s->src.curl) {
		curl_slist_free_all(hdrs);
		return sync_fail(s, RG_ENOMEM, "out of memory");
	}
	snprintf(what, sizeof(what), "%s%s", name ? "" : "GET ",
	         name ? name : url);
	curl_easy_reset(s->src.curl);
	crc = setup(s->src.curl, &ans, hdrs, s->src.cancel);
	if (crc == CURLE_OK)
		crc = curl_easy_setopt(s->src.curl, CURLOPT_URL, url);
	if (crc == CURLE_OK)
		crc = curl_easy_perform(s->src.curl);
	curl_easy_getinfo(s->src.curl, CURLINFO_RESPONSE_CODE, &status);
	if (crc == CURLE_ABORTED_BY_CALLBACK)
		sync_fail(s, RG_EIO, "%s: cancelled (stopping or reloading)",
		          what);
	else if (crc != CURLE_OK)
		sync_fail(s, RG_EIO, "%s: %s", what,
		          ans.too_big ? "the answer is too large"
		                      : curl_easy_strerror(crc));
	else if (status == HTTP_UNAUTHORIZED && *server_says(ans.data, said))
		sync_fail(s, RG_EIO,
		          "%s: 401 Unauthorized: the token is expired or "
		          "wrong (the server says: %s)",
		          what, server_says(ans.data, said));
	else if (status == HTTP_UNAUTHORIZED) /* Dataverse says nothing */
		sync_fail(s, RG_EIO,
		          "%s: 401 Unauthorized: the token is expired or "
		          "wrong",
		          what);
	else if (status == HTTP_FORBIDDEN)
		sync_fail(s, RG_EIO,
		          "%s: 403 Forbidden: the token's user lacks a "
		          "permission (the server says: %s)",
		          what, server_says(ans.data, said));
	else if (status != HTTP_OK && *server_says(ans.data, said))
		sync_fail(s, RG_EIO,
		          "%s: HTTP status %ld (the server says: %s)", what,
		          status, server_says(ans.data, said));
	else if (status != HTTP_OK)
		sync_fail(s, RG_EIO, "%s: HTTP status %ld", what, status);
	else if (!(*out = json_loadb(ans.data ? ans.data : "", ans.len,
	                             JSON_REJECT_DUPLICATES, &jerr)))
		sync_fail(s, RG_EINVAL, "%s: malformed JSON at line %d: %s",
		          what, jerr.line, jerr.text);
	else
		rc = RG_OK;
	curl_slist_free_all(hdrs);
	free(ans.data);
	return rc;
}

/* ---- from a folder ------------------------------------------------------ */

static int file_get(struct sync *s, const char *path, json_t **out)
{
	char why[SYNC_MSG_MAX] = "";
	json_error_t jerr;
	char *text;
	int fd, rc;

	rc = rg_file_open(path, ANSWER_MAX, &fd, why, sizeof(why));
	if (rc != RG_OK)
		return sync_fail(s, rc, "%s: %s", path, why);
	text = read_all(fd, ANSWER_MAX);
	close(fd);
	if (!text)
		return sync_fail(s, RG_ENOMEM, "out of memory");
	*out = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!*out)
		return sync_fail(s, RG_EINVAL, "%s:%d: malformed JSON: %s",
		                 path, jerr.line, jerr.text);
	return RG_OK;
}

/* ---- paging ------------------------------------------------------------- */

/* The file of an answer in the folder: the path with its slashes as
 * dots, then suffix (".json", ".offset-0.json"). */
static int file_location(struct sync *s, const char *path, const char *suffix,
                         char *buf, size_t len)
{
	char name[LOCATION_MAX], *p;
	int n;

	snprintf(name, sizeof(name), "%s", path);
	for (p = name; *p; p++)
		if (*p == '/')
			*p = '.';
	n = snprintf(buf, len, "%s/%s%s", s->src.dir, name, suffix);
	if (n < 0 || (size_t)n >= len)
		return sync_fail(s, RG_ELIMIT, "%s: the location is too long",
		                 path);
	return RG_OK;
}

/* Where the page at offset of path is: a URL or a file name. */
static int locate(struct sync *s, const char *path, int paged, long offset,
                  char *buf, size_t len)
{
	char suffix[LOCATION_MAX];
	int n;

	if (s->src.dir) {
		if (paged)
			snprintf(suffix, sizeof(suffix), ".offset-%ld.json",
			         offset);
		return file_location(s, path, paged ? suffix : ".json", buf,
		                     len);
	}
	if (paged)
		n = snprintf(buf, len, "%s%s%s?offset=%ld&count=%d", s->src.url,
		             s->src.api, path, offset, PAGE_COUNT);
	else
		n = snprintf(buf, len, "%s%s%s", s->src.url, s->src.api, path);
	if (n < 0 || (size_t)n >= len)
		return sync_fail(s, RG_ELIMIT, "%s: the location is too long",
		                 path);
	return RG_OK;
}

/* Reads the answer at where: a file of the folder, or a URL (named as
 * name in messages, "GET where" when NULL). */
static int get_at(struct sync *s, const char *where, const char *name,
                  json_t **out)
{
	return s->src.dir ? file_get(s, where, out)
	                  : http_get(s, where, name, out);
}

/* Checks an answer's "success" and returns its array key, or NULL. */
static json_t *answer_items(struct sync *s, json_t *page, const char *where,
                            const char *key)
{
	json_t *items = json_object_get(page, key);
	json_t *ok = json_object_get(page, "success");

	if (!json_is_object(page))
		sync_fail(s, RG_EINVAL, "%s: not a JSON object", where);
	else if (ok && !json_is_true(ok))
		sync_fail(s, RG_EIO, "%s: success is false", where);
	else if (!json_is_array(items))
		sync_fail(s, RG_EINVAL, "%s: %s is not an array", where, key);
	else
		return items;
	return NULL;
}

int sync_get(struct sync *s, const char *path, json_t **out)
{
	char where[LOCATION_MAX];
	json_t *ok;
	int rc = locate(s, path, 0, 0, where, sizeof(where));

	*out = NULL;
	if (rc == RG_OK)
		rc = get_at(s, where, NULL, out);
	if (rc != RG_OK)
		return rc;
	ok = json_object_get(*out, "success");
	if (!json_is_object(*out))
		rc = sync_fail(s, RG_EINVAL, "%s: not a JSON object", where);
	else if (ok && !json_is_true(ok))
		rc = sync_fail(s, RG_EIO, "%s: success is false", where);
	if (rc != RG_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Calls fn for each item of one page. */
static int each_item(struct sync *s, json_t *items, const char *where,
                     const char *key, sync_item_fn fn, void *data)
{
	char at[SYNC_MSG_MAX];
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < json_array_size(items); i++) {
		snprintf(at, sizeof(at), "%s: %s[%zu]", where, key, i);
		rc = fn(s, json_array_get(items, i), at, data);
	}
	return rc;
}

/* The page's "total", or -1 after saying why. */
static long page_total(struct sync *s, const json_t *page, const char *where)
{
	json_t *total = json_object_get(page, "total");

	if (!json_is_integer(total) || json_integer_value(total) < 0) {
		sync_fail(s, RG_EINVAL, "%s: total is not a count", where);
		return -1;
	}
	return (long)json_integer_value(total);
}

int sync_each(struct sync *s, const char *path, const char *key, int paged,
              sync_item_fn fn, void *data)
{
	char where[LOCATION_MAX];
	long offset = 0, total;
	int rc, pages = 0;

	do {
		json_t *page = NULL, *items;

		rc = locate(s, path, paged, offset, where, sizeof(where));
		if (rc == RG_OK)
			rc = get_at(s, where, NULL, &page);
		if (rc != RG_OK)
			return rc;
		items = answer_items(s, page, where, key);
		total = items && paged ? page_total(s, page, where) : 0;
		rc = !items || total < 0
		         ? RG_EINVAL
		         : each_item(s, items, where, key, fn, data);
		offset += (long)json_array_size(items);
		/* An empty page before the total is a server that changed
		 * under us: the list would be incomplete. */
		if (rc == RG_OK && paged && offset < total &&
		    !json_array_size(items))
			rc = sync_fail(s, RG_EIO,
			               "%s: an empty page before total %ld",
			               where, total);
		json_decref(page);
		if (rc == RG_OK && ++pages >= PAGES_MAX)
			rc = sync_fail(s, RG_ELIMIT, "%s: more than %d pages",
			               path, PAGES_MAX);
	} while (rc == RG_OK && paged && offset < total);
	return rc;
}

/* ---- paging by link (OData) --------------------------------------------- */

/* Where page n of an OData endpoint is: its file, or for page 0 the URL
 * (later pages' URLs are the answers' next links). */
static int first_location(struct sync *s, const char *path, const char *query,
                          char *buf, size_t len)
{
	int n;

	if (s->src.dir)
		return file_location(s, path, ".page-0.json", buf, len);
	n = snprintf(buf, len, "%s%s%s?%s", s->src.url, s->src.api, path,
	             query);
	if (n < 0 || (size_t)n >= len)
		return sync_fail(s, RG_ELIMIT, "%s: the location is too long",
		                 path);
	return RG_OK;
}

/*
 * Checks that a next link lies below the base URL (it is sent the token)
 * and copies it into buf.
 */
static int link_location(struct sync *s, const char *url, const char *what,
                         const char *where, char *buf, size_t len)
{
	size_t base = strlen(s->src.url);

	if (strncmp(url, s->src.url, base) != 0 || url[base] != '/')
		return sync_fail(s, RG_EINVAL, "%s: %s is not below %s: '%s'",
		                 where, what, s->src.url, url);
	if (strlen(url) >= len)
		return sync_fail(s, RG_ELIMIT, "%s: %s is too long", where,
		                 what);
	snprintf(buf, len, "%s", url);
	return RG_OK;
}

/* The file of page n of path in the folder. */
static int page_file(struct sync *s, const char *path, int n, char *buf,
                     size_t len)
{
	char suffix[LOCATION_MAX];

	snprintf(suffix, sizeof(suffix), ".page-%d.json", n);
	return file_location(s, path, suffix, buf, len);
}

/*
 * The location of the page after page (number n, at where) into buf: ""
 * when it is the last.
 */
static int next_location(struct sync *s, const json_t *page, const char *where,
                         const char *path, int n, char *buf, size_t len)
{
	const json_t *link = json_object_get(page, NEXT_LINK);
	const char *url = json_string_value(link);

	buf[0] = '\0';
	if (!link)
		return RG_OK;
	if (!url || !*url)
		return sync_fail(s, RG_EINVAL, "%s: " NEXT_LINK " is not a URL",
		                 where);
	if (s->src.dir)
		return page_file(s, path, n + 1, buf, len);
	return link_location(s, url, NEXT_LINK, where, buf, len);
}

/*
 * What the messages call page n at where: the file, or the endpoint and
 * the page's number (a next link, with its paging cookie, would leave no
 * room in a message for what went wrong).
 */
static void page_label(const struct sync *s, const char *path, int n,
                       const char *where, char *buf, size_t len)
{
	if (s->src.dir)
		snprintf(buf, len, "%s", where);
	else
		snprintf(buf, len, "%s%s%s page %d", s->src.url, s->src.api,
		         path, n + 1);
}

/* Reads page n of path at where, and each page after it by next link. */
static int follow_links(struct sync *s, const char *path, int n, char *where,
                        const char *key, sync_item_fn fn, void *data)
{
	char next[LOCATION_MAX], label[LOCATION_MAX], request[LOCATION_MAX];
	int rc = RG_OK;

	while (rc == RG_OK && where[0]) {
		json_t *page = NULL, *items;

		page_label(s, path, n, where, label, sizeof(label));
		snprintf(request, sizeof(request), "GET %s", label);
		rc = get_at(s, where, request, &page);
		if (rc != RG_OK)
			break;
		items = answer_items(s, page, label, key);
		rc = items ? each_item(s, items, label, key, fn, data)
		           : RG_EINVAL;
		if (rc == RG_OK)
			rc = next_location(s, page, label, path, n, next,
			                   sizeof(next));
		json_decref(page);
		if (rc == RG_OK && ++n >= PAGES_MAX)
			rc = sync_fail(s, RG_ELIMIT, "%s: more than %d pages",
			               path, PAGES_MAX);
		memcpy(where, next, LOCATION_MAX);
	}
	return rc;
}

int sync_each_linked(struct sync *s, const char *path, const char *query,
                     const char *key, sync_item_fn fn, void *data)
{
	char where[LOCATION_MAX];
	int rc = first_location(s, path, query, where, sizeof(where));

	return rc == RG_OK ? follow_links(s, path, 0, where, key, fn, data)
	                   : rc;
}

int sync_each_expanded(struct sync *s, const json_t *item, const char *where,
                       const char *nav, const char *path, sync_item_fn fn,
                       void *data)
{
	char member[SYNC_MSG_MAX], at[LOCATION_MAX];
	const json_t *link;
	const char *url;
	int rc;

	snprintf(member, sizeof(member), "%s" NEXT_LINK, nav);
	link = json_object_get(item, member);
	url = json_string_value(link);
	if (!link)
		return RG_OK;
	if (!url || !*url)
		return sync_fail(s, RG_EINVAL, "%s: %s is not a URL", where,
		                 member);
	/* The collection's page 0 is the part that came inline. */
	rc = s->src.dir ? page_file(s, path, 1, at, sizeof(at))
	                : link_location(s, url, member, where, at, sizeof(at));
	return rc == RG_OK ? follow_links(s, path, 1, at, "value", fn, data)
	                   : rc;
}
