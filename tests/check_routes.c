/*
 * check_routes.c - rolegated's sections of rolegate.conf: the [rolegated]
 * settings and the [route NAME] map, and the matcher that turns a method
 * and a URI into a route.
 *
 * The matcher decides what a gateway's request is asking for, so it is
 * tested as a security boundary: an encoded or ambiguous path must never
 * match a route its decoded form would not, and no match means deny.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rgdconf.h"
#include "routes.h"
#include "testutil.h"

#define FILE_NAME "/etc/rolegate/rolegate.conf"
#define ERR_MAX   512

/* Feeds one key; returns the callback's status, message in err. */
static int key(struct rgd_conf *c, const char *section, const char *k,
               const char *v, char *err)
{
	static unsigned line = 1;

	err[0] = '\0';
	return rgd_conf_key(c, section, k, v, FILE_NAME, line++, err, ERR_MAX);
}

/* Feeds "section|key|value" lines; aborts on any refusal. */
static void feed(struct rgd_conf *c, const char *const *lines)
{
	char err[ERR_MAX];

	for (; *lines; lines++) {
		char sec[128], k[64], v[256];

		ck_assert_int_eq(
		    sscanf(*lines, "%127[^|]|%63[^|]|%255[^\n]", sec, k, v), 3);
		ck_assert_msg(key(c, sec, k, v, err) == RG_OK, "refused %s: %s",
		              *lines, err);
	}
}

/* ---- Settings ----------------------------------------------------------- */

START_TEST(test_defaults)
{
	struct rgd_conf c;

	ck_assert_int_eq(rgd_conf_init(&c), RG_OK);
	ck_assert_str_eq(c.s.address, "127.0.0.1");
	ck_assert_uint_gt(c.s.port, 0);
	ck_assert_ptr_null(c.s.listen_socket);
	ck_assert_uint_gt(c.s.max_body, 0);
	ck_assert_ptr_null(c.s.decision_log);
	ck_assert_ptr_nonnull(c.s.admin_socket);
	ck_assert_int_eq(c.s.authz_headers, 1);
	ck_assert_int_eq(c.s.authz_roles_header, 0);
	ck_assert_str_eq(c.s.authz_user_header, "X-Rolegate-User");
	ck_assert_uint_eq(c.nroutes, 0);
	ck_assert_uint_eq(c.s.directory_max_age, 30);
	rgd_conf_free(&c);
}
END_TEST

START_TEST(test_settings)
{
	static const char *const lines[] = {
	    "rolegated|address|::1",
	    "rolegated|port|0",
	    "rolegated|threads|4",
	    "rolegated|max_body|16k",
	    "rolegated|max_header|1M",
	    "rolegated|decision_log|decisions.log",
	    "rolegated|admin_socket|off",
	    "rolegated|admin_listen|[::1]:9000",
	    "rolegated|admin_token_file|/etc/rolegate/token",
	    "rolegated|authz_roles_header|yes",
	    "rolegated|authz_headers|off",
	    "rolegated|log|syslog",
	    "rolegated|authz_user_header|X-Auth-Request-User",
	    "rolegated|directory_max_age|0",
	    NULL};
	struct rgd_conf c;

	rgd_conf_init(&c);
	feed(&c, lines);
	ck_assert_str_eq(c.s.address, "::1");
	ck_assert_uint_eq(c.s.port, 0);
	ck_assert_uint_eq(c.s.threads, 4);
	ck_assert_uint_eq(c.s.max_body, 16 * 1024);
	ck_assert_uint_eq(c.s.max_header, 1024 * 1024);
	/* Relative paths resolve against the config file's directory. */
	ck_assert_str_eq(c.s.decision_log, "/etc/rolegate/decisions.log");
	ck_assert_ptr_null(c.s.admin_socket);
	ck_assert_str_eq(c.s.admin_listen, "[::1]:9000");
	ck_assert_int_eq(c.s.authz_roles_header, 1);
	ck_assert_int_eq(c.s.authz_headers, 0);
	ck_assert_int_eq(c.s.log, RGD_LOG_SYSLOG);
	ck_assert_str_eq(c.s.authz_user_header, "X-Auth-Request-User");
	ck_assert_uint_eq(c.s.directory_max_age, 0);
	rgd_conf_free(&c);
}
END_TEST

/* Bad keys: section, key, value, and a word the message must contain. */
static const struct {
	const char *section, *key, *value, *says;
} bad[] = {
    {"rolegated", "address", "localhost", "numeric"},
    {"rolegated", "address", "", "numeric"},
    {"rolegated", "port", "65536", "0 to 65535"},
    {"rolegated", "port", "-1", "whole number"},
    {"rolegated", "port", "80x", "whole number"},
    {"rolegated", "threads", "1000", "0 to 256"},
    {"rolegated", "max_body", "10", "256"},
    {"rolegated", "max_body", "1G", "bytes"},
    {"rolegated", "max_header", "100", "4096"},
    {"rolegated", "request_timeout", "0", "1 to"},
    {"rolegated", "directory_max_age", "86401", "0 to 86400"},
    {"rolegated", "directory_max_age", "2s", "whole number"},
    {"rolegated", "decision_log", "", "path"},
    {"rolegated", "admin_socket", "", "path or off"},
    {"rolegated", "listen_socket", "", "absolute path or off"},
    {"rolegated", "listen_socket", "http.sock", "absolute path"},
    {"rolegated", "listen_socket", "./http.sock", "absolute path"},
    {"rolegated", "listen_socket", "unix:/run/h.sock", "absolute path"},
    {"rolegated", "listen_socket", "/run/rolegate/", "not of a directory"},
    {"rolegated", "admin_listen", "127.0.0.1", "ADDRESS:PORT"},
    {"rolegated", "admin_listen", "host:80", "ADDRESS:PORT"},
    {"rolegated", "admin_listen", "127.0.0.1:0", "ADDRESS:PORT"},
    {"rolegated", "authz_headers", "maybe", "yes or no"},
    {"rolegated", "log", "file", "stderr or syslog"},
    {"rolegated", "authz_user_header", "X User", "header name"},
    {"rolegated", "authz_user_header", "", "header name"},
    {"rolegated", "authz_user_header", "X-User:", "header name"},
    {"rolegated", "listen", "1", "unknown key 'listen'"},
    {"rolegated extra", "port", "1", "[rolegated extra]"},
    {"route", "path", "/x", "[route NAME]"},
    {"route a b", "path", "/x", "[route NAME]"},
    {"route r", "path", "x", "starting with '/'"},
    {"route r", "path", "/a//b", "empty segment"},
    {"route r", "path", "/a/{}", "needs a name"},
    {"route r", "path", "/a/{b-c}", "needs a name"},
    {"route r", "path", "/a/{x}/{x}", "twice"},
    {"route r", "path", "/a/*/b", "trailing"},
    {"route r", "path", "/a/b*", "trailing"},
    {"route r", "path", "/a/%41", "trailing"},
    {"route r", "path", "/a/../b", "never match"},
    {"route r", "path", "/a b", "blanks"},
    {"route r", "method", "get", "upper-case"},
    {"route r", "method", "GET *", "alone"},
    {"route r", "method", "", "METHOD"},
    {"route r", "service", "", "one service"},
    {"route r", "service", "a b", "one service"},
    {"route r", "action", "", "one action"},
    {"route r", "attr", "", "NAME=VALUE"},
    {"route r", "attr", "novalue", "NAME=VALUE"},
    {"route r", "attr", "=x", "NAME=VALUE"},
    {"route r", "attr", "a={b", "{NAME}"},
    {"route r", "attr", "a=b}", "without '{'"},
    {"route r", "attr", "a={b c}", "{NAME}"},
    {"route r", "require", "", "require needs NAME"},
    {"route r", "require", " , ", "require needs NAME"},
    {"route r", "require", "dept=x", "attribute names"},
    {"route r", "target", "x", "unknown key 'target'"},
};

#define NBAD RG_COUNTOF(bad)

START_TEST(test_bad_key)
{
	struct rgd_conf c;
	char err[ERR_MAX];

	rgd_conf_init(&c);
	ck_assert_int_ne(
	    key(&c, bad[_i].section, bad[_i].key, bad[_i].value, err), RG_OK);
	ck_assert_msg(strstr(err, bad[_i].says) != NULL,
	              "[%s] %s = %s: message '%s' lacks '%s'", bad[_i].section,
	              bad[_i].key, bad[_i].value, err, bad[_i].says);
	rgd_conf_free(&c);
}
END_TEST

START_TEST(test_duplicate_keys)
{
	struct rgd_conf c;
	char err[ERR_MAX];

	rgd_conf_init(&c);
	ck_assert_int_eq(key(&c, "rolegated", "port", "1", err), RG_OK);
	ck_assert_int_ne(key(&c, "rolegated", "port", "2", err), RG_OK);
	ck_assert_ptr_nonnull(strstr(err, "duplicate key 'port'"));
	ck_assert_int_eq(key(&c, "route r", "path", "/a", err), RG_OK);
	ck_assert_int_ne(key(&c, "route r", "path", "/b", err), RG_OK);
	ck_assert_ptr_nonnull(strstr(err, "duplicate key 'path'"));
	/* attr may repeat. */
	ck_assert_int_eq(key(&c, "route r", "attr", "a=1", err), RG_OK);
	ck_assert_int_eq(key(&c, "route r", "attr", "b=2 c=3", err), RG_OK);
	ck_assert_uint_eq(c.routes[0].nattrs, 3);
	rgd_conf_free(&c);
}
END_TEST

/* An attribute naming a capture the path does not have, in either order. */
START_TEST(test_attr_capture)
{
	struct rgd_conf c;
	char err[ERR_MAX];

	rgd_conf_init(&c);
	ck_assert_int_eq(key(&c, "route a", "path", "/q/{queue}", err), RG_OK);
	ck_assert_int_ne(key(&c, "route a", "attr", "bu={bu}", err), RG_OK);
	ck_assert_ptr_nonnull(strstr(err, "{bu} is not captured"));
	ck_assert_int_eq(key(&c, "route b", "attr", "bu={bu}", err), RG_OK);
	ck_assert_int_ne(key(&c, "route b", "path", "/q/{queue}", err), RG_OK);
	ck_assert_ptr_nonnull(strstr(err, "{bu} is not captured"));
	/* A route with a refused line never matches. */
	ck_assert_int_eq(c.routes[1].broken, 1);
	rgd_conf_free(&c);
}
END_TEST

/* listen_socket: an absolute path, off, and the limit of sun_path (which
 * admin_socket has too). */
START_TEST(test_listen_socket)
{
	char path[256], err[ERR_MAX];
	struct rgd_conf c;

	rgd_conf_init(&c);
	ck_assert_int_eq(key(&c, "rolegated", "listen_socket",
	                     "/run/rolegate/http.sock", err),
	                 RG_OK);
	ck_assert_str_eq(c.s.listen_socket, "/run/rolegate/http.sock");
	rgd_conf_free(&c);

	/* off is the default: TCP. */
	rgd_conf_init(&c);
	ck_assert_int_eq(key(&c, "rolegated", "listen_socket", "off", err),
	                 RG_OK);
	ck_assert_ptr_null(c.s.listen_socket);
	rgd_conf_free(&c);

	/* 107 bytes fit in sun_path (108 with the NUL); 108 do not. */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	rgd_conf_init(&c);
	ck_assert_int_eq(key(&c, "rolegated", "listen_socket", path, err),
	                 RG_OK);
	ck_assert_uint_eq(strlen(c.s.listen_socket), 107);
	rgd_conf_free(&c);
	path[107] = 'a';
	path[108] = '\0';
	rgd_conf_init(&c);
	ck_assert_int_ne(key(&c, "rolegated", "listen_socket", path, err),
	                 RG_OK);
	ck_assert_msg(strstr(err, "108 bytes") && strstr(err, "at most 107") &&
	                  strstr(err, "sun_path"),
	              "message: %s", err);
	/* A refused value leaves the setting off. */
	ck_assert_ptr_null(c.s.listen_socket);
	rgd_conf_free(&c);

	/* The admin socket has the same limit, said at the setting too;
	 * a refused value leaves the default. */
	rgd_conf_init(&c);
	ck_assert_int_ne(key(&c, "rolegated", "admin_socket", path, err),
	                 RG_OK);
	ck_assert_msg(strstr(err, "admin_socket") && strstr(err, "108 bytes") &&
	                  strstr(err, "at most 107"),
	              "message: %s", err);
	ck_assert_ptr_nonnull(c.s.admin_socket);
	ck_assert_uint_le(strlen(c.s.admin_socket), 107);
	rgd_conf_free(&c);
	path[107] = '\0';
	rgd_conf_init(&c);
	ck_assert_msg(key(&c, "rolegated", "admin_socket", path, err) == RG_OK,
	              "message: %s", err);
	ck_assert_str_eq(c.s.admin_socket, path);
	rgd_conf_free(&c);
}
END_TEST

/* ---- Whole-file checks ----------------------------------------------------
 */

struct problems {
	size_t n;
	size_t warnings;
	char last[ERR_MAX];
};

static void collect(void *user, int warning, const char *msg)
{
	struct problems *p = user;

	p->n++;
	p->warnings += warning != 0;
	snprintf(p->last, sizeof(p->last), "%s", msg);
}

START_TEST(test_check_incomplete)
{
	static const char *const lines[] = {
	    "route nopath|service|svc", "route nopath|action|act",
	    "route noaction|path|/x", "route noaction|service|svc", NULL};
	struct problems p = {0, 0, ""};
	struct rgd_conf c;

	rgd_conf_init(&c);
	feed(&c, lines);
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 2);
	ck_assert_ptr_nonnull(strstr(p.last, "[route noaction] needs"));
	ck_assert_ptr_nonnull(strstr(p.last, FILE_NAME ":"));
	rgd_conf_free(&c);
}
END_TEST

START_TEST(test_check_admin)
{
	static const char *const lines[] = {
	    "rolegated|admin_listen|127.0.0.1:9000", NULL};
	static const char *const both[] = {"rolegated|admin_socket|/run/s",
	                                   "rolegated|admin_token_file|/t",
	                                   NULL};
	struct problems p = {0, 0, ""};
	struct rgd_conf c;

	rgd_conf_init(&c);
	feed(&c, lines);
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 1);
	ck_assert_ptr_nonnull(strstr(p.last, "admin_token_file"));
	feed(&c, both);
	p.n = 0;
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 1);
	ck_assert_ptr_nonnull(strstr(p.last, "not both"));
	rgd_conf_free(&c);
}
END_TEST

/* admin_listen on an address that is not loopback: a warning (plain HTTP),
 * not an error. */
static const struct {
	const char *listen;
	int warns;
} admin_addrs[] = {
    {"127.0.0.1:9000", 0},
    {"127.3.2.1:9000", 0},
    {"[::1]:9000", 0},
    {"[::ffff:127.0.0.1]:9000", 0},
    {"0.0.0.0:9000", 1},
    {"[::]:9000", 1},
    {"10.0.0.1:9000", 1},
    {"128.0.0.1:9000", 1},
    {"[::ffff:10.0.0.1]:9000", 1},
    {"[::2]:9000", 1},
};

#define NADMIN_ADDRS RG_COUNTOF(admin_addrs)

START_TEST(test_check_admin_address)
{
	struct problems p = {0, 0, ""};
	struct rgd_conf c;
	char err[ERR_MAX];

	rgd_conf_init(&c);
	ck_assert_int_eq(key(&c, "rolegated", "admin_socket", "off", err),
	                 RG_OK);
	ck_assert_int_eq(key(&c, "rolegated", "admin_token_file", "/t", err),
	                 RG_OK);
	ck_assert_int_eq(
	    key(&c, "rolegated", "admin_listen", admin_addrs[_i].listen, err),
	    RG_OK);
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 0);
	ck_assert_msg(p.warnings == (size_t)admin_addrs[_i].warns,
	              "%s: %zu warnings (%s)", admin_addrs[_i].listen,
	              p.warnings, p.last);
	if (admin_addrs[_i].warns)
		ck_assert_msg(strstr(p.last, "is not a loopback address") &&
		                  strstr(p.last, "plain HTTP") &&
		                  strstr(p.last, admin_addrs[_i].listen),
		              "message: %s", p.last);
	rgd_conf_free(&c);
}
END_TEST

/* Admin tokens: what is refused, and why (never the token itself). */
static const struct {
	const char *token;
	size_t len;
	const char *says; /* NULL: accepted */
} tokens[] = {
    {"0123456789abcdef0123456789abcdef", 32, NULL},
    {"Zq3-x_9.~+/=Ab7Kd2Lm8Np4Rs6Tv1Wy5", 33, NULL},
    {"0123456789abcdef0123456789abcde", 31, "has 31 characters"},
    {"", 0, "has 0 characters"},
    {"                ", 16, "has 16 characters"},
    {"                                ", 32, "a blank"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40, "1 different"},
    {"abcabcabcabcabcabcabcabcabcabcabcabc", 36, "3 different"},
    {"012345678012345678012345678012345678", 36, "9 different"},
    {"0123456789abcdef\t0123456789abcdef", 33, "a blank"},
    {"0123456789abcdef\0000123456789abcdef", 33, "at character 17"},
    {"0123456789abcdef\x7f"
     "0123456789abcdef",
     33, "control"},
    {"0123456789abcdef\xc3\xa9"
     "0123456789abcdef",
     34, "non-ASCII"},
};

#define NTOKENS RG_COUNTOF(tokens)

START_TEST(test_token_weak)
{
	char why[ERR_MAX] = "";
	int rc =
	    rgd_token_weak(tokens[_i].token, tokens[_i].len, why, sizeof(why));

	if (!tokens[_i].says) {
		ck_assert_msg(rc == RG_OK, "token %d refused: %s", _i, why);
		return;
	}
	ck_assert_int_eq(rc, RG_ECONFIG);
	ck_assert_msg(strstr(why, tokens[_i].says) != NULL,
	              "token %d: message '%s' lacks '%s'", _i, why,
	              tokens[_i].says);
	ck_assert_msg(tokens[_i].len < 8 || !strstr(why, tokens[_i].token),
	              "token %d: the message holds the token", _i);
}
END_TEST

START_TEST(test_token_too_long)
{
	char *t = malloc(RGD_TOKEN_MAX + 2), why[ERR_MAX] = "";
	size_t i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < RGD_TOKEN_MAX + 1; i++)
		t[i] = (char)('a' + i % 26);
	ck_assert_int_eq(rgd_token_weak(t, RGD_TOKEN_MAX, why, sizeof(why)),
	                 RG_OK);
	ck_assert_int_eq(rgd_token_weak(t, RGD_TOKEN_MAX + 1, why, sizeof(why)),
	                 RG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(why, "needs 32 to"));
	free(t);
}
END_TEST

/* listen_socket replaces address and port, and is not the admin socket. */
START_TEST(test_check_listen_socket)
{
	struct problems p = {0, 0, ""};
	struct rgd_conf c;
	char err[ERR_MAX], admin[256];

	/* Alone: fine. */
	rgd_conf_init(&c);
	ck_assert_int_eq(rgd_conf_key(&c, "rolegated", "listen_socket",
	                              "/run/h.sock", FILE_NAME, 3, err,
	                              ERR_MAX),
	                 RG_OK);
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 0);
	/* With a port: the error is at listen_socket's line, names port's. */
	ck_assert_int_eq(rgd_conf_key(&c, "rolegated", "port", "8470",
	                              FILE_NAME, 5, err, ERR_MAX),
	                 RG_OK);
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 1);
	ck_assert_msg(strstr(p.last,
	                     FILE_NAME ":3: listen_socket replaces "
	                               "address and port: remove port (line "
	                               "5)"),
	              "message: %s", p.last);
	/* With both. */
	ck_assert_int_eq(rgd_conf_key(&c, "rolegated", "address", "::1",
	                              FILE_NAME, 7, err, ERR_MAX),
	                 RG_OK);
	p.n = 0;
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 1);
	ck_assert_msg(strstr(p.last, "remove address (line 7) and port (line "
	                             "5)"),
	              "message: %s", p.last);
	rgd_conf_free(&c);

	/* listen_socket = off with address and port: TCP, fine. */
	rgd_conf_init(&c);
	ck_assert_int_eq(key(&c, "rolegated", "listen_socket", "off", err),
	                 RG_OK);
	ck_assert_int_eq(key(&c, "rolegated", "port", "1", err), RG_OK);
	p.n = 0;
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 0);
	rgd_conf_free(&c);

	/* The default admin socket's path is taken. */
	rgd_conf_init(&c);
	snprintf(admin, sizeof(admin), "%s", c.s.admin_socket);
	ck_assert_int_eq(key(&c, "rolegated", "listen_socket", admin, err),
	                 RG_OK);
	p.n = 0;
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 1);
	ck_assert_msg(strstr(p.last, "listen_socket is the admin socket's "
	                             "path (the default admin_socket)"),
	              "message: %s", p.last);
	/* Not with the admin socket off. */
	ck_assert_int_eq(key(&c, "rolegated", "admin_socket", "off", err),
	                 RG_OK);
	p.n = 0;
	ck_assert_uint_eq(rgd_conf_check(&c, NULL, collect, &p), 0);
	rgd_conf_free(&c);
}
END_TEST

static void quiet(void *user, rg_log_level level, const char *msg)
{
}

/* Through the library: lines become diagnostics with file:line, and the
 * check knows the context's services. */
START_TEST(test_through_rg_open)
{
	char dir[] = "/tmp/rolegate-routes.XXXXXX";
	char path[sizeof(dir) + 32], err[ERR_MAX] = "";
	const char *const sections[] = {"rolegated", "route", NULL};
	struct problems p = {0, 0, ""};
	struct rgd_conf c;
	rg_context *ctx = NULL;
	rg_options o;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rolegate.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[rolegated]\n"      /* 1 */
	      "port = 8470\n"      /* 2 */
	      "bogus = 1\n"        /* 3 */
	      "[route r]\n"        /* 4 */
	      "path = /a/{x}\n"    /* 5 */
	      "service = nosuch\n" /* 6 */
	      "action = a.b\n"     /* 7 */
	      "[elsewhere]\n"      /* 8 */
	      "x = 1\n",
	      f);
	ck_assert_int_eq(fclose(f), 0);
	rgd_conf_init(&c);
	memset(&o, 0, sizeof(o));
	o.config_path = path;
	o.flags = RG_OPEN_NO_DIRECTORY | RG_OPEN_NO_WATCH;
	o.app_sections = sections;
	o.app_conf = rgd_conf_key;
	o.app_user = &c;
	o.log = quiet;
	ck_assert_int_eq(rg_open(&ctx, &o, err, sizeof(err)), RG_OK);
	/* bogus and the unknown section; routes are the application's. */
	ck_assert_uint_eq(rg_diagnostic_count(ctx), 2);
	ck_assert_ptr_nonnull(strstr(rg_diagnostic(ctx, 0), ":3: unknown key "
	                                                    "'bogus'"));
	ck_assert_uint_eq(c.nroutes, 1);
	ck_assert_uint_eq(rgd_conf_check(&c, ctx, collect, &p), 1);
	ck_assert_ptr_nonnull(strstr(p.last, ":6: [route r]: unknown service "
	                                     "'nosuch'"));
	rg_close(ctx);
	rgd_conf_free(&c);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A context on a fresh SQLite directory in dir refreshed every refresh_ms,
 * with [rolegated] directory_max_age = max_age (0: the key left out) on
 * line 5; the problems rgd_conf_check() reports go to p. */
static void freshness(const char *dir, long refresh_ms, unsigned max_age,
                      struct problems *p)
{
	char path[PATH_MAX], err[ERR_MAX] = "";
	const char *const sections[] = {"rolegated", "route", NULL};
	struct rgd_conf c;
	rg_context *ctx = NULL;
	rg_options o;
	FILE *f;

	snprintf(path, sizeof(path), "%s/rolegate.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	        "[rolegate]\n"                  /* 1 */
	        "directory = %s/directory.db\n" /* 2 */
	        "directory_refresh_ms = %ld\n"  /* 3 */
	        "%s%u\n",                       /* 4, 5 */
	        dir, refresh_ms,
	        max_age ? "[rolegated]\ndirectory_max_age = " : "# ", max_age);
	ck_assert_int_eq(fclose(f), 0);
	rgd_conf_init(&c);
	memset(&o, 0, sizeof(o));
	o.config_path = path;
	o.flags = RG_OPEN_NO_WATCH;
	o.app_sections = sections;
	o.app_conf = rgd_conf_key;
	o.app_user = &c;
	o.log = quiet;
	ck_assert_msg(rg_open(&ctx, &o, err, sizeof(err)) == RG_OK, "%s", err);
	ck_assert_int_eq(rg_directory_available(ctx), 1);
	ck_assert_int_eq(rg_directory_refresh_ms(ctx), refresh_ms);
	memset(p, 0, sizeof(*p));
	ck_assert_uint_eq(rgd_conf_check(&c, ctx, collect, p), 0);
	rg_close(ctx);
	rgd_conf_free(&c);
	unlink(path);
}

/*
 * directory_max_age no longer than the library's refresh interval is
 * warned about at its line (readiness would flap with the directory
 * reachable); longer, or 0 (no limit), is not; the default (30 s) against
 * the default interval (1 s) is not.
 */
START_TEST(test_check_max_age_vs_refresh)
{
	char dir[] = "/tmp/rolegate-maxage.XXXXXX", db[PATH_MAX];
	struct problems p;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	freshness(dir, 60000, 60, &p);
	ck_assert_uint_eq(p.warnings, 1);
	ck_assert_msg(strstr(p.last, ":5: directory_max_age = 60 s is not "
	                             "longer than the directory's "
	                             "directory_refresh_ms = 60000") != NULL,
	              "%s", p.last);
	freshness(dir, 120000, 30, &p);
	ck_assert_uint_eq(p.warnings, 1);
	ck_assert_ptr_nonnull(strstr(p.last, "directory_max_age = 30 s"));
	freshness(dir, 60000, 61, &p);
	ck_assert_uint_eq(p.n, 0);
	freshness(dir, 1000, 0, &p); /* the default 30 s */
	ck_assert_uint_eq(p.n, 0);
	freshness(dir, 3600000, 0, &p); /* default 30 s < an hour: warned */
	ck_assert_uint_eq(p.warnings, 1);
	ck_assert_ptr_nonnull(strstr(p.last, ":0: directory_max_age = 30 s"));
	snprintf(db, sizeof(db), "%s/directory.db", dir);
	unlink(db);
	rmdir(dir);
}
END_TEST

/* ---- Matching -------------------------------------------------------------
 */

static const char *const map[] = {
    "route queue-agents|method|POST DELETE",
    "route queue-agents|path|/api/queues/{queue}/agents",
    "route queue-agents|service|dynamics365",
    "route queue-agents|action|queue.add-agent",
    "route queue-agents|attr|queue={queue} scope=q-{queue}-x",
    "route queue-view|path|/api/queues/{queue}",
    "route queue-view|service|dynamics365",
    "route queue-view|action|queue.view",
    "route queue-view|attr|queue={queue}",
    "route slash|path|/api/slash/",
    "route slash|service|s",
    "route slash|action|slash",
    "route admin|path|/api/admin/*",
    "route admin|service|s",
    "route admin|action|admin",
    "route root|method|GET",
    "route root|path|/",
    "route root|service|s",
    "route root|action|root",
    "route public|method|GET HEAD",
    "route public|path|/*",
    "route public|service|s",
    "route public|action|public",
    NULL};

/* method, uri, expected route ("" none, "!" bad path), first attribute. */
static const struct {
	const char *method, *uri, *route, *attr;
} cases[] = {
    {"POST", "/api/queues/support/agents", "queue-agents", "support"},
    {"DELETE", "/api/queues/support/agents?x=1", "queue-agents", "support"},
    {"GET", "/api/queues/support/agents", "public", NULL},
    {"PUT", "/api/queues/support/agents", "", NULL},
    {"GET", "/api/queues/support", "queue-view", "support"},
    {"POST", "/api/queues/support", "queue-view", "support"},
    {"GET", "/api/queues/sup%20port", "queue-view", "sup port"},
    /* An encoded letter is the letter: no way around a literal. */
    {"POST", "/api/%71ueues/support/agents", "queue-agents", "support"},
    {"POST", "/api/admin/users/1", "admin", NULL},
    {"POST", "/api/%61dmin/users/1", "admin", NULL},
    {"POST", "/api/admin", "admin", NULL},
    {"POST", "/api/admin/", "admin", NULL},
    {"GET", "/api/slash/", "slash", NULL},
    {"POST", "/api/slash", "", NULL},
    {"GET", "/", "root", NULL},
    {"GET", "/?q=1", "root", NULL},
    {"GET", "/anything/else", "public", NULL},
    {"POST", "/anything/else", "", NULL},
    /* ';' in the query is the query's business. */
    {"GET", "/x?a=1;b=2", "public", NULL},
    /* A literal '%' (encoded once) and an encoded '#' are plain bytes. */
    {"GET", "/x/100%25", "public", NULL},
    {"GET", "/x/%25zz", "public", NULL},
    {"GET", "/x/%23", "public", NULL},
    /* Valid UTF-8, encoded or raw; dots inside a name. */
    {"GET", "/x/%c3%a9t%C3%A9", "public", NULL},
    {"GET", "/x/\xc3\xa9", "public", NULL},
    {"GET", "/x/a.b/..a/a..", "public", NULL},
    /* An empty segment is refused, even where a capture would be. */
    {"POST", "/api/queues//agents", "!", NULL},
    /* Refused paths. */
    {"GET", "/api/../admin/x", "!", NULL},
    {"GET", "/api/./x", "!", NULL},
    {"GET", "/api/%2e%2e/admin", "!", NULL},
    {"GET", "/api/%2E/admin", "!", NULL},
    {"GET", "/api/a%2fb", "!", NULL},
    {"GET", "/api/a%5cb", "!", NULL},
    {"GET", "/api/a%00b", "!", NULL},
    {"GET", "/api/a%zzb", "!", NULL},
    {"GET", "/api/a%4", "!", NULL},
    {"GET", "api/x", "!", NULL},
    {"GET", "", "!", NULL},
    {"GET", "?x=/", "!", NULL},
};

/*
 * Paths an upstream reads as another path, each one the catch-all route
 * "public" would match if it were not refused; and a word the reason must
 * hold.
 */
static const struct {
	const char *uri, *says;
} refused[] = {
    /* Path parameters: Tomcat, Jetty and Spring drop ";..." so "..;" is
     * ".." to them. */
    {"/x/..;/api/admin", "';'"},
    {"/x/..%3b/api/admin", "';'"},
    {"/x/..%3B/api/admin", "';'"},
    {"/x/%2e%2e;/api/admin", "';'"},
    {"/x/%2e%2e%3b/api/admin", "';'"},
    {"/x/.;/api/admin", "';'"},
    {"/x/;/api/admin", "';'"},
    {"/x/..;jsessionid=1/api/admin", "';'"},
    {"/x/a;b", "';'"},
    {"/x;a=1", "';'"},
    /* Separators: raw or encoded backslash, encoded slash. */
    {"/x/..\\api\\admin", "'\\'"},
    {"/x/a%5Cb", "'\\'"},
    {"/x/a%2Fb", "'/'"},
    /* Double encoding: decoded once it still holds an escape. */
    {"/x/%252e%252e/api/admin", "double"},
    {"/x/%252F", "double"},
    {"/x/%25%32%65", "double"},
    /* Overlong and invalid UTF-8, encoded or raw. */
    {"/x/%c0%ae%c0%ae/api/admin", "UTF-8"},
    {"/x/%c0%af", "UTF-8"},
    {"/x/%e0%80%ae", "UTF-8"},
    {"/x/%f0%80%80%ae", "UTF-8"},
    {"/x/%ed%a0%80", "UTF-8"},
    {"/x/%ff", "UTF-8"},
    {"/x/%c3", "UTF-8"},
    {"/x/\xc0\xae\xc0\xae/api", "UTF-8"},
    /* Control characters: some upstreams drop tabs and line breaks. */
    {"/x/.%09./api/admin", "control"},
    {"/x/a%0d%0ab", "control"},
    {"/x/a%7f", "control"},
    {"/x/a\tb", "control"},
    /* Dot segments, trailing too, and what Windows trims to one. */
    {"/x/api/admin/..", "'..'"},
    {"/x/api/admin/.", "'..'"},
    {"/x/api/admin/%2e", "'..'"},
    {"/x/api/admin/%2E%2e", "'..'"},
    {"/x/.../api", "'..'"},
    {"/x/..%20/api", "'..'"},
    {"/x/.%20./api", "'..'"},
    {"/x/%20", "'..'"},
    /* Fragments: never sent by a client, read apart by upstreams. */
    {"/x#frag", "'#'"},
    {"/x/y#/../../api/admin", "'#'"},
    {"/x?q=#", "'#'"},
};

#define NREFUSED RG_COUNTOF(refused)

#define NCASES RG_COUNTOF(cases)

/* c with the map above, and a match buffer (to free()). */
static struct rgd_match *map_loaded(struct rgd_conf *c)
{
	struct rgd_match *m = malloc(sizeof(*m));

	ck_assert_ptr_nonnull(m);
	rgd_conf_init(c);
	feed(c, map);
	return m;
}

START_TEST(test_match)
{
	struct rgd_conf c;
	struct rgd_match *m = map_loaded(&c);
	enum rgd_match_result r;

	r = rgd_route_match(&c, cases[_i].method, cases[_i].uri, m);
	if (strcmp(cases[_i].route, "!") == 0) {
		ck_assert_msg(r == RGD_MATCH_BAD_PATH, "%s %s: result %d",
		              cases[_i].method, cases[_i].uri, (int)r);
		ck_assert_ptr_nonnull(m->why);
	} else if (!*cases[_i].route) {
		ck_assert_msg(r == RGD_MATCH_NONE, "%s %s: result %d",
		              cases[_i].method, cases[_i].uri, (int)r);
		ck_assert_ptr_null(m->route);
	} else {
		ck_assert_msg(r == RGD_MATCH_OK, "%s %s: result %d",
		              cases[_i].method, cases[_i].uri, (int)r);
		ck_assert_str_eq(m->route->name, cases[_i].route);
		if (cases[_i].attr) {
			ck_assert_uint_ge(m->nattrs, 1);
			ck_assert_str_eq(m->attrs[0].key, "queue");
			ck_assert_str_eq(m->attrs[0].value, cases[_i].attr);
		}
	}
	rgd_conf_free(&c);
	free(m);
}
END_TEST

START_TEST(test_match_refused)
{
	struct rgd_conf c;
	struct rgd_match *m = map_loaded(&c);
	enum rgd_match_result r;

	r = rgd_route_match(&c, "GET", refused[_i].uri, m);
	ck_assert_msg(r == RGD_MATCH_BAD_PATH, "GET %s: result %d (route %s)",
	              refused[_i].uri, (int)r, m->route ? m->route->name : "-");
	ck_assert_ptr_null(m->route);
	ck_assert_msg(m->why && strstr(m->why, refused[_i].says),
	              "GET %s: reason '%s' lacks %s", refused[_i].uri,
	              m->why ? m->why : "(none)", refused[_i].says);
	rgd_conf_free(&c);
	free(m);
}
END_TEST

START_TEST(test_match_template)
{
	struct rgd_conf c;
	struct rgd_match *m = malloc(sizeof(*m));

	ck_assert_ptr_nonnull(m);
	rgd_conf_init(&c);
	feed(&c, map);
	ck_assert_int_eq(
	    rgd_route_match(&c, "POST", "/api/queues/vip/agents", m),
	    RGD_MATCH_OK);
	ck_assert_uint_eq(m->nattrs, 2);
	ck_assert_str_eq(m->attrs[1].key, "scope");
	ck_assert_str_eq(m->attrs[1].value, "q-vip-x");
	ck_assert_str_eq(m->route->service, "dynamics365");
	ck_assert_str_eq(m->route->action, "queue.add-agent");
	rgd_conf_free(&c);
	free(m);
}
END_TEST

/* require = ...: a matched request without the attribute (or with an
 * empty value) is refused, naming the route and the attribute. */
START_TEST(test_match_require)
{
	static const char *const lines[] = {
	    "route any|path|/a/{x}",
	    "route any|service|s",
	    "route any|action|a",
	    "route any|attr|from_path={x}",
	    "route any|require|department, from_path",
	    NULL};
	rg_attr attrs[3] = {{"bu", "x"}, {"department", ""}, {NULL, NULL}};
	struct rgd_match *m = malloc(sizeof(*m));
	struct rgd_conf c;
	const char *why;

	ck_assert_ptr_nonnull(m);
	rgd_conf_init(&c);
	feed(&c, lines);
	ck_assert_uint_eq(c.routes[0].nrequire, 2);
	ck_assert_int_eq(rgd_route_match(&c, "GET", "/a/1", m), RGD_MATCH_OK);
	/* Only the route's attribute: department missing. */
	why = rgd_route_missing(m->route, m->attrs, m->nattrs, m);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, "route any requires attribute department");
	/* Empty is missing too. */
	attrs[2] = m->attrs[0];
	ck_assert_ptr_nonnull(rgd_route_missing(m->route, attrs, 3, m));
	attrs[1].value = "sales";
	ck_assert_ptr_null(rgd_route_missing(m->route, attrs, 3, m));
	/* The path's attribute is required too. */
	ck_assert_str_eq(rgd_route_missing(m->route, attrs, 2, m),
	                 "route any requires attribute from_path");
	rgd_conf_free(&c);
	free(m);
}
END_TEST

/* No routes at all: nothing matches (fail closed). */
START_TEST(test_match_empty)
{
	struct rgd_conf c;
	struct rgd_match *m = malloc(sizeof(*m));

	ck_assert_ptr_nonnull(m);
	rgd_conf_init(&c);
	ck_assert_int_eq(rgd_route_match(&c, "GET", "/", m), RGD_MATCH_NONE);
	ck_assert_int_eq(rgd_route_match(&c, NULL, "/x", m), RGD_MATCH_NONE);
	rgd_conf_free(&c);
	free(m);
}
END_TEST

/* A path longer than the matcher takes is refused, not cut. */
START_TEST(test_match_long)
{
	struct rgd_conf c;
	struct rgd_match *m = malloc(sizeof(*m));
	char *uri = malloc(RGD_MATCH_BUF_SIZE + 16);
	size_t i;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(uri);
	rgd_conf_init(&c);
	feed(&c, map);
	for (i = 0; i < RGD_MATCH_BUF_SIZE + 8; i++)
		uri[i] = i % 2 ? 'a' : '/';
	uri[i] = '\0';
	ck_assert_int_eq(rgd_route_match(&c, "GET", uri, m),
	                 RGD_MATCH_BAD_PATH);
	/* Many short segments: more than the matcher keeps. */
	snprintf(uri, RGD_MATCH_BUF_SIZE, "/");
	for (i = 0; i <= RGD_PATH_SEGMENTS_MAX; i++)
		strcat(uri, "a/");
	strcat(uri, "a");
	ck_assert_int_eq(rgd_route_match(&c, "GET", uri, m),
	                 RGD_MATCH_BAD_PATH);
	rgd_conf_free(&c);
	free(uri);
	free(m);
}
END_TEST

static Suite *routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc;

	tc = tcase_create("settings");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_settings);
	tcase_add_loop_test(tc, test_bad_key, 0, (int)NBAD);
	tcase_add_test(tc, test_duplicate_keys);
	tcase_add_test(tc, test_attr_capture);
	tcase_add_test(tc, test_listen_socket);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_test(tc, test_check_incomplete);
	tcase_add_test(tc, test_check_admin);
	tcase_add_loop_test(tc, test_check_admin_address, 0, (int)NADMIN_ADDRS);
	tcase_add_loop_test(tc, test_token_weak, 0, (int)NTOKENS);
	tcase_add_test(tc, test_token_too_long);
	tcase_add_test(tc, test_check_listen_socket);
	tcase_add_test(tc, test_through_rg_open);
	tcase_add_test(tc, test_check_max_age_vs_refresh);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_match, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_match_refused, 0, (int)NREFUSED);
	tcase_add_test(tc, test_match_template);
	tcase_add_test(tc, test_match_require);
	tcase_add_test(tc, test_match_empty);
	tcase_add_test(tc, test_match_long);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(routes_suite)
