/*
 * suite.c - `rolegate test`: runs declarative policy test suites.
 *
 * Each case of the suites (suite-parse.c) is decided through the public
 * API (rg_check() with a trace) and compared with what the suite expects.
 * A case the configuration cannot even ask (an unknown service, action,
 * role or user) is an error of the suite, never a pass or a plain deny.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "suite.h"

/* The suites found next to the configuration without file arguments. */
#define ST_SUITE_GLOB "tests/*.ini"
/* Room for a subject's roles, as rg_subject_roles() writes them. */
#define ST_ROLES_MAX 4096
/* The scratch directory of a fixture, under $TMPDIR. */
#define ST_SCRATCH_TEMPLATE "rolegate-test.XXXXXX"
#define ST_SCRATCH_DB       "directory.db"
#define ST_FIXTURE_ACTOR    "rolegate test"

/* The outcome of one case. */
struct st_result {
	int ran;    /* 0: the case could not be asked (an error) */
	int passed; /* ran and matched every expectation */
	rg_decision d;
	char why[RG_REASON_MAX + 64]; /* the mismatch, for a failure */
	char roles[ST_ROLES_MAX];     /* the subject's roles, for coverage */
	char plugin[RG_ID_MAX];       /* d.plugin points here */
};

/* The run: the suite, its results, and the counts. */
struct st_run {
	struct cli *cli;
	const rg_context *ctx;
	struct st_suite suite;
	struct st_result *results;
	size_t passed, failed, errors;
};

/* The request of case c. */
static void case_request(const struct st_case *c, rg_request *req)
{
	memset(req, 0, sizeof(*req));
	req->service = c->service;
	req->subject.user = c->subject->user;
	req->subject.roles = c->subject->roles;
	req->subject.attrs = c->subject->attrs;
	req->subject.nattrs = c->subject->nattrs;
	req->action = c->action;
	req->attrs = c->attrs;
	req->nattrs = c->nattrs;
}

/*
 * The decision's names belong to the context, and a fixture's context is
 * closed before the report: keep the deciding plugin's name in r, and
 * drop the trace's names (coverage reads the trace's lines only).
 */
static void keep_names(struct st_result *r)
{
	size_t t;

	snprintf(r->plugin, sizeof(r->plugin), "%s",
	         r->d.plugin ? r->d.plugin : "");
	r->d.plugin = r->d.plugin ? r->plugin : NULL;
	for (t = 0; t < r->d.ntrace && t < RG_TRACE_MAX; t++) {
		r->d.trace[t].plugin = NULL;
		r->d.trace[t].control = NULL;
	}
}

/* Reports case c that could not be asked (r->why says why); -1. */
static int case_error(const struct st_case *c, const struct st_result *r)
{
	cli_error("%s:%u: %s: %s", c->file, c->line, c->name, r->why);
	return -1;
}

/* Decides case c into r; returns -1 (after a FILE:LINE message) when the
 * case cannot be asked. */
static int run_case(const rg_context *ctx, const struct st_case *c,
                    struct st_result *r)
{
	rg_request req;
	int allowed, status;

	case_request(c, &req);
	if (!rg_service_find(ctx, c->service)) {
		snprintf(r->why, sizeof(r->why), "unknown service '%s'",
		         c->service);
		return case_error(c, r);
	}
	status = rg_check(ctx, &req, RG_CHECK_TRACE, &r->d);
	/* An unknown name, or a plugin that failed: a deny then is no answer
	 * to the question the suite asked, so it never passes as one. */
	if (status != RG_OK) {
		snprintf(r->why, sizeof(r->why), "cannot ask %s of '%s': %s",
		         c->action, c->subject->sec->name, rg_strerror(status));
		return case_error(c, r);
	}
	r->ran = 1;
	keep_names(r);
	if (rg_subject_roles(ctx, c->service, &req.subject, r->roles,
	                     sizeof(r->roles)) != RG_OK)
		r->roles[0] = '\0';
	allowed = r->d.result == RG_ALLOW;
	if (allowed != c->expect_allow)
		snprintf(r->why, sizeof(r->why), "expected %s, got %s",
		         c->expect_allow ? "allow" : "deny",
		         allowed ? "allow" : "deny");
	else if (c->reason && !strstr(r->d.reason, c->reason))
		snprintf(r->why, sizeof(r->why), "reason does not contain '%s'",
		         c->reason);
	else if (c->plugin &&
	         (!r->d.plugin || strcmp(r->d.plugin, c->plugin) != 0))
		snprintf(r->why, sizeof(r->why), "decided by %s, not %s",
		         r->d.plugin ? r->d.plugin : "no plugin", c->plugin);
	else
		r->passed = 1;
	return 0;
}

/* Removes a scratch directory and the database files in it. */
static void remove_scratch(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The fixture's path: relative names resolve against the suite's folder. */
static void fixture_path(const char *suite_file, const char *name, char *buf,
                         size_t len)
{
	char *copy = strdup(suite_file);

	if (name[0] == '/' || !copy)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s/%s", dirname(copy), name);
	free(copy);
}

/*
 * Opens the configuration again on a scratch directory (in a new folder
 * under $TMPDIR, scratch) holding only the fixture's data, so that a
 * suite's users never depend on, nor touch, the real directory.
 */
static int open_fixture(struct cli *cli, const char *file,
                        const struct st_kv *kv, char *scratch, size_t len,
                        rg_context **ctx)
{
	const char *tmp = getenv("TMPDIR");
	const char *saved = cli->directory;
	char path[PATH_MAX], db[PATH_MAX], err[512] = "";
	int rc;

	*ctx = NULL;
	fixture_path(file, kv->value, path, sizeof(path));
	snprintf(scratch, len, "%s/" ST_SCRATCH_TEMPLATE,
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch)) {
		scratch[0] = '\0';
		cli_error("%s:%u: fixture: no scratch directory: %s", file,
		          kv->line, strerror(errno));
		return -1;
	}
	snprintf(db, sizeof(db), "%s/" ST_SCRATCH_DB, scratch);
	cli->directory = db;
	rc = cli_open(cli, ctx);
	cli->directory = saved;
	if (rc != CLI_EXIT_OK)
		return -1;
	rc =
	    rg_directory_import(*ctx, path, RG_IMPORT_REPLACE, ST_FIXTURE_ACTOR,
	                        NULL, NULL, err, sizeof(err));
	if (rc != RG_OK) {
		cli_error("%s:%u: fixture %s: %s", file, kv->line, path,
		          err[0] ? err : rg_strerror(rc));
		return -1;
	}
	return 0;
}

/* Runs the cases of one suite file against ctx. */
static void run_file(struct st_run *run, const char *file,
                     const rg_context *ctx)
{
	size_t i;

	for (i = 0; i < run->suite.ncases; i++) {
		struct st_result *r = &run->results[i];

		if (run->suite.cases[i].file != file)
			continue;
		if (!ctx)
			snprintf(r->why, sizeof(r->why),
			         "the suite's fixture did not load");
		if (!ctx || run_case(ctx, &run->suite.cases[i], r) != 0)
			run->errors++;
		else if (r->passed)
			run->passed++;
		else
			run->failed++;
	}
}

static void run_all(struct st_run *run)
{
	size_t f;

	for (f = 0; f < run->suite.nfiles; f++) {
		const char *file = run->suite.files[f];
		const struct st_kv *kv =
		    st_suite_key(&run->suite, file, "fixture");
		char scratch[PATH_MAX] = "";
		rg_context *own = NULL;

		if (!kv) {
			run_file(run, file, run->ctx);
			continue;
		}
		/* A fixture that does not load fails each of its cases. */
		if (open_fixture(run->cli, file, kv, scratch, sizeof(scratch),
		                 &own) != 0) {
			rg_close(own);
			own = NULL;
		}
		run_file(run, file, own);
		rg_close(own);
		if (scratch[0])
			remove_scratch(scratch);
	}
}

/* ---- coverage ---------------------------------------------------------- */

/* 1 when a case on svc asked privilege p of a subject holding role id. */
static int cell_asked(const struct st_run *run, const rg_service *svc,
                      const char *role, const char *priv)
{
	size_t i;

	for (i = 0; i < run->suite.ncases; i++) {
		const struct st_case *c = &run->suite.cases[i];
		char **list;
		int has;

		if (!run->results[i].ran ||
		    strcmp(c->service, rg_service_name(svc)) != 0 ||
		    strcmp(c->action, priv) != 0)
			continue;
		list = cli_split(run->results[i].roles, "roles");
		has = list && cli_list_has((const char *const *)list, role);
		cli_split_free(list);
		if (has)
			return 1;
	}
	return 0;
}

/* 1 when stack entry e of svc decided some case: a trace row of its
 * line gave the final answer, from the plugin the decision names. */
static int entry_decided(const struct st_run *run, const rg_service *svc,
                         const rg_entry_info *e)
{
	size_t i, t;

	for (i = 0; i < run->suite.ncases; i++) {
		const rg_decision *d = &run->results[i].d;

		if (!run->results[i].ran ||
		    strcmp(run->suite.cases[i].service, rg_service_name(svc)) ||
		    !d->plugin || strcmp(d->plugin, e->plugin) != 0)
			continue;
		for (t = 0; t < d->ntrace && t < RG_TRACE_MAX; t++)
			if (d->trace[t].line == e->line &&
			    d->trace[t].result == d->result)
				return 1;
	}
	return 0;
}

/* 1 when some case asked about svc. */
static int service_tested(const struct st_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < run->suite.ncases; i++)
		if (run->results[i].ran &&
		    strcmp(run->suite.cases[i].service, name) == 0)
			return 1;
	return 0;
}

/* Adds svc's uncovered cells and entries to cov (an object per service). */
static int service_coverage(const struct st_run *run, const rg_service *svc,
                            json_t *cov)
{
	json_t *cells = json_array(), *entries = json_array(), *o;
	size_t i, p, ngrants = 0, nentries = rg_entry_count(svc);

	for (i = 0; i < rg_role_count(svc); i++)
		for (p = 0; p < rg_privilege_count(svc); p++) {
			const char *role = cli_role_id(svc, i);
			const char *priv = cli_privilege_id(svc, p);

			if (!rg_role_grants(svc, i, p))
				continue;
			ngrants++;
			if (!cell_asked(run, svc, role, priv))
				json_array_append_new(
				    cells, json_pack("{s:s,s:s}", "role", role,
				                     "privilege", priv));
		}
	for (i = 0; i < nentries; i++) {
		rg_entry_info e;

		if (rg_entry_at(svc, i, &e) == RG_OK &&
		    !entry_decided(run, svc, &e))
			json_array_append_new(
			    entries, json_pack("{s:s,s:s,s:I}", "plugin",
			                       e.plugin, "file", e.file, "line",
			                       (json_int_t)e.line));
	}
	o = json_pack("{s:s,s:I,s:o,s:I,s:o}", "service", rg_service_name(svc),
	              "grants", (json_int_t)ngrants, "uncovered_cells", cells,
	              "entries", (json_int_t)nentries, "undecided_entries",
	              entries);
	return o ? json_array_append_new(cov, o) : -1;
}

/* The coverage of every service the suites asked about, as JSON. */
static json_t *coverage(const struct st_run *run)
{
	json_t *cov = json_array();
	size_t i;

	for (i = 0; cov && i < rg_service_count(run->ctx); i++) {
		const rg_service *svc = rg_service_at(run->ctx, i);

		if (service_tested(run, rg_service_name(svc)) &&
		    service_coverage(run, svc, cov) != 0) {
			json_decref(cov);
			return NULL;
		}
	}
	return cov;
}

/* The uncovered cells of one service, one line each. */
static void print_cells(const char *name, const json_t *cells)
{
	size_t i;
	json_t *item;

	json_array_foreach(cells, i, item)
	{
		printf("uncovered: %s: %s x %s\n", name,
		       json_string_value(json_object_get(item, "role")),
		       json_string_value(json_object_get(item, "privilege")));
	}
}

/* The stack entries of one service that decided no case. */
static void print_entries(const char *name, const json_t *entries)
{
	size_t i;
	json_t *item;

	json_array_foreach(entries, i, item)
	{
		printf("uncovered: %s: entry %s:%lld %s never decided\n", name,
		       json_string_value(json_object_get(item, "file")),
		       json_integer_value(json_object_get(item, "line")),
		       json_string_value(json_object_get(item, "plugin")));
	}
}

/* A count of the coverage object, as a size. */
static size_t count_of(const json_t *svc, const char *key)
{
	return (size_t)json_integer_value(json_object_get(svc, key));
}

static void print_coverage(const json_t *cov)
{
	size_t i;
	json_t *svc;

	json_array_foreach(cov, i, svc)
	{
		const char *name =
		    json_string_value(json_object_get(svc, "service"));
		json_t *cells = json_object_get(svc, "uncovered_cells");
		json_t *entries = json_object_get(svc, "undecided_entries");

		printf("coverage: %s: %zu of %zu grants asked, %zu of %zu "
		       "stack entries decided\n",
		       name, count_of(svc, "grants") - json_array_size(cells),
		       count_of(svc, "grants"),
		       count_of(svc, "entries") - json_array_size(entries),
		       count_of(svc, "entries"));
		print_cells(name, cells);
		print_entries(name, entries);
	}
}

/* ---- reports ----------------------------------------------------------- */

static void print_failures(const struct st_run *run)
{
	size_t i;

	for (i = 0; i < run->suite.ncases; i++) {
		const struct st_case *c = &run->suite.cases[i];
		const struct st_result *r = &run->results[i];
		char line[RG_REASON_MAX * 2 + 512],
		    safe[RG_ESCAPE_MAX(sizeof(line))];

		if (!r->ran || r->passed)
			continue;
		/* The reason starts with the deciding plugin's name. */
		snprintf(line, sizeof(line), "%s:%u: FAIL %s: %s (%s)", c->file,
		         c->line, c->name, r->why,
		         r->d.reason[0] ? r->d.reason
		                        : rg_strerror(r->d.status));
		rg_escape(line, 0, safe, sizeof(safe));
		puts(safe);
	}
}

static json_t *failure_json(const struct st_case *c, const struct st_result *r)
{
	return json_pack(
	    "{s:o,s:I,s:o,s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "file",
	    cli_jstr(c->file, 0), "line", (json_int_t)c->line, "name",
	    cli_jstr(c->name, 0), "service", cli_jstr(c->service, 0), "subject",
	    cli_jstr(c->subject->sec->name, 0), "action",
	    cli_jstr(c->action, 0), "expected",
	    c->expect_allow ? "allow" : "deny", "got",
	    r->d.result == RG_ALLOW ? "allow" : "deny", "why",
	    cli_jstr(r->why, 0), "plugin", cli_jstr(r->d.plugin, 1), "reason",
	    cli_jstr(r->d.reason, 1));
}

static int print_json(const struct st_run *run, json_t *cov, int status)
{
	json_t *failures = json_array(), *obj;
	size_t i;

	for (i = 0; failures && i < run->suite.ncases; i++)
		if (run->results[i].ran && !run->results[i].passed)
			json_array_append_new(failures,
			                      failure_json(&run->suite.cases[i],
			                                   &run->results[i]));
	obj = json_pack("{s:I,s:I,s:I,s:o}", "passed", (json_int_t)run->passed,
	                "failed", (json_int_t)run->failed, "errors",
	                (json_int_t)run->errors, "failures", failures);
	if (obj && cov)
		json_object_set(obj, "coverage", cov);
	return cli_json_print(obj, status);
}

/* Writes s into fp with XML's five special characters escaped. */
static void xml_put(FILE *fp, const char *s)
{
	char *safe = rg_escape_dup(s ? s : "", 0);
	const char *p;

	for (p = safe ? safe : ""; *p; p++)
		switch (*p) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&apos;", fp);
			break;
		default:
			fputc(*p, fp);
		}
	free(safe);
}

/* One <testsuite> per suite file. */
static void junit_failure(FILE *fp, const struct st_case *c,
                          const struct st_result *r)
{
	const char *tag = r->ran ? "failure" : "error";

	fprintf(fp, ">\n      <%s message=\"", tag);
	xml_put(fp, r->why);
	fputs("\">", fp);
	xml_put(fp, c->file);
	fprintf(fp, ":%u: ", c->line);
	xml_put(fp, r->why);
	if (r->ran) {
		fputs(": ", fp);
		xml_put(fp, r->d.reason);
	}
	fprintf(fp, "</%s>\n    </testcase>\n", tag);
}

static void junit_file(const struct st_run *run, const char *file, FILE *fp)
{
	size_t i, tests = 0, failures = 0, errors = 0;

	for (i = 0; i < run->suite.ncases; i++)
		if (run->suite.cases[i].file == file) {
			tests++;
			failures +=
			    run->results[i].ran && !run->results[i].passed;
			errors += !run->results[i].ran;
		}
	fputs("  <testsuite name=\"", fp);
	xml_put(fp, file);
	fprintf(fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
	        tests, failures, errors);
	for (i = 0; i < run->suite.ncases; i++) {
		const struct st_case *c = &run->suite.cases[i];
		const struct st_result *r = &run->results[i];

		if (c->file != file)
			continue;
		fputs("    <testcase classname=\"", fp);
		xml_put(fp, c->service);
		fputs("\" name=\"", fp);
		xml_put(fp, c->name);
		fprintf(fp, "\" file=\"");
		xml_put(fp, c->file);
		fprintf(fp, "\" line=\"%u\"", c->line);
		if (r->passed)
			fputs("/>\n", fp);
		else
			junit_failure(fp, c, r);
	}
	fputs("  </testsuite>\n", fp);
}

/* Writes the JUnit XML report through a temporary file and a rename, so
 * that a CI system never reads half a report. */
static int write_junit(const struct st_run *run, const char *path)
{
	size_t len = strlen(path) + sizeof(".XXXXXX");
	char *tmp = malloc(len);
	FILE *fp = NULL;
	size_t i;
	int fd = -1, ok = 0;

	if (tmp) {
		snprintf(tmp, len, "%s.XXXXXX", path);
		fd = mkstemp(tmp);
	}
	if (fd >= 0)
		fp = fdopen(fd, "w");
	if (fp) {
		fprintf(fp,
		        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		        "<testsuites name=\"rolegate\" tests=\"%zu\" "
		        "failures=\"%zu\" errors=\"%zu\">\n",
		        run->suite.ncases, run->failed, run->errors);
		for (i = 0; i < run->suite.nfiles; i++)
			junit_file(run, run->suite.files[i], fp);
		fputs("</testsuites>\n", fp);
		ok = fflush(fp) == 0 && !ferror(fp);
		ok = (fclose(fp) == 0) && ok;
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		cli_error("%s: cannot write the JUnit report", path);
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

/* ---- the command ------------------------------------------------------- */

/* The suites next to the configuration: ST_SUITE_GLOB beside it. */
static int default_suites(const rg_context *ctx, glob_t *g)
{
	char *copy = strdup(rg_config_path(ctx));
	char *pattern = NULL;
	size_t len;
	int rc = -1;

	if (copy) {
		const char *dir = dirname(copy);

		len = strlen(dir) + sizeof("/" ST_SUITE_GLOB);
		pattern = malloc(len);
		if (pattern) {
			snprintf(pattern, len, "%s/%s", dir, ST_SUITE_GLOB);
			rc = glob(pattern, 0, NULL, g);
		}
	}
	if (rc == GLOB_NOMATCH)
		cli_error("no suite file: %s matches nothing; name the files",
		          pattern);
	else if (rc != 0)
		cli_error("cannot list %s", pattern ? pattern : "the suites");
	free(pattern);
	free(copy);
	return rc == 0 ? 0 : -1;
}

/* The configuration must load without a problem: a policy that does not
 * compile is not tested. */
static int config_loads(const rg_context *ctx)
{
	size_t n = rg_diagnostic_count(ctx);

	if (n)
		cli_error("test: %s has %zu problem%s (see 'rolegate lint'); "
		          "no test run",
		          rg_config_path(ctx), n, n == 1 ? "" : "s");
	return n == 0;
}

/* Runs the suite and reports; returns the exit status. */
static int report(struct st_run *run, const struct cli_args *args)
{
	json_t *cov = NULL;
	int status = run->errors   ? CLI_EXIT_ERROR
	             : run->failed ? CLI_EXIT_NO
	                           : CLI_EXIT_OK;

	if (args->cover) {
		cov = coverage(run);
		if (!cov) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
	}
	if (args->val[CLI_VAL_JUNIT] &&
	    write_junit(run, args->val[CLI_VAL_JUNIT]) != 0)
		status = CLI_EXIT_ERROR;
	if (args->json) {
		status = print_json(run, cov, status);
	} else {
		print_failures(run);
		if (cov)
			print_coverage(cov);
		printf("%zu passed, %zu failed, %zu error%s in %zu file%s\n",
		       run->passed, run->failed, run->errors,
		       run->errors == 1 ? "" : "s", run->suite.nfiles,
		       run->suite.nfiles == 1 ? "" : "s");
	}
	json_decref(cov);
	return status;
}

static int run_suites(struct cli *cli, const rg_context *ctx,
                      char *const *files, size_t n, const struct cli_args *args)
{
	struct st_run run;
	int status = CLI_EXIT_ERROR;

	memset(&run, 0, sizeof(run));
	run.cli = cli;
	run.ctx = ctx;
	if (st_load(&run.suite, files, n) != 0)
		goto out;
	run.results = calloc(run.suite.ncases, sizeof(*run.results));
	if (!run.results) {
		cli_error("out of memory");
		goto out;
	}
	run_all(&run);
	status = report(&run, args);
out:
	free(run.results);
	st_free(&run.suite);
	return status;
}

int cli_cmd_test(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args)
{
	rg_context *ctx = NULL;
	glob_t g;
	int status;

	(void)cmd;
	memset(&g, 0, sizeof(g));
	if (cli_open(cli, &ctx) != CLI_EXIT_OK)
		return CLI_EXIT_LOAD;
	if (!config_loads(ctx)) {
		status = CLI_EXIT_LOAD;
	} else if (args->argc > 0) {
		status =
		    run_suites(cli, ctx, args->argv, (size_t)args->argc, args);
	} else if (default_suites(ctx, &g) == 0) {
		status = run_suites(cli, ctx, g.gl_pathv, g.gl_pathc, args);
		globfree(&g);
	} else {
		status = CLI_EXIT_ERROR;
	}
	rg_close(ctx);
	return status;
}
