/*
 * request.c - fuzz target: rolegated's /v1/check and /v1/checks bodies
 * through the functions that parse and answer them (tools/rolegated/
 * checkapi.c, built into this file), on the shipped services.
 *
 * The first byte chooses the endpoint (bit 0: /v1/checks) and ?explain=1
 * (bit 1); the rest is the body.  What lies around checkapi.c in the daemon
 * is replaced here by small stand-ins: the engine's current generation,
 * the decision (rg_check, or rg_explain for explain) and the responses.
 * Oracles: every 200 answer is JSON that parses; every question decided is
 * decided the same by rg_check_batch(); a 200 is never given to a body
 * jansson cannot parse.
 */
#include "../tools/rolegated/checkapi.c"

#include "fuzz.h"

static struct rgd_gen gen;
static int gen_ready;
static const char *explain_value;

const char *MHD_lookup_connection_value(struct MHD_Connection *c,
                                        enum MHD_ValueKind kind,
                                        const char *key)
{
	return strcmp(key, "explain") == 0 ? explain_value : NULL;
}

struct rgd_gen *rgd_engine_acquire(struct rgd_engine *e, unsigned *slot)
{
	char path[4096];

	*slot = 0;
	if (!gen_ready) {
		gen_ready = 1;
		snprintf(path, sizeof(path), "%s/rolegate.conf",
		         fuzz_policies());
		if (rgd_conf_init(&gen.conf) != RG_OK)
			abort();
		gen.ctx = fuzz_open(path, NULL, rgd_conf_sections, rgd_conf_key,
		                    &gen.conf);
		if (!gen.ctx)
			fuzz_fail("the shipped configuration does not open");
	}
	return &gen;
}

void rgd_engine_release(struct rgd_engine *e, unsigned slot)
{
}

int rgd_decide(struct rgd *d, const struct rgd_gen *g, const rg_request *req,
               const rg_target *t, int explain, rg_explanation *ex,
               const struct rgd_origin *o, char id[RGD_ID_LEN + 1])
{
	rg_result batch;
	int st, bst;

	snprintf(id, RGD_ID_LEN + 1, "fuzz");
	memset(ex, 0, sizeof(*ex));
	st = explain ? rg_explain(g->ctx, req, ex)
	             : rg_check(g->ctx, req, 0, &ex->decision);
	rg_check_batch(g->ctx, req, 1, RG_CHECK_NO_REASON, &batch, &bst);
	if (batch != ex->decision.result || bst != st)
		fuzz_fail("%s %s: check %d (%d), batch %d (%d)",
		          req->service ? req->service : "-",
		          req->action ? req->action : "-", ex->decision.result,
		          st, batch, bst);
	return st;
}

void rgd_json_decision(struct rgd_buf *b, const rg_explanation *ex, int status,
                       int explain)
{
	rgd_json_key(b, "decision");
	rgd_json_str(b, rg_result_name(ex->decision.result));
	rgd_json_key(b, "reason");
	rgd_json_str(b, ex->decision.reason);
}

enum MHD_Result rgd_respond_json(struct rgd *d, struct MHD_Connection *c,
                                 unsigned status, struct rgd_buf *b)
{
	json_error_t jerr;
	json_t *doc;

	if (b->failed)
		return MHD_YES; /* out of room: the daemon answers 500 */
	doc = json_loadb(b->p, b->len, 0, &jerr);
	if (!doc)
		fuzz_fail("answer %u is not JSON (%s): %.*s", status, jerr.text,
		          (int)b->len, b->p);
	json_decref(doc);
	free(b->p);
	return MHD_YES;
}

enum MHD_Result rgd_respond_error(struct rgd *d, struct MHD_Connection *c,
                                  unsigned status, const char *fmt, ...)
{
	if (status < 400)
		fuzz_fail("error answer with status %u", status);
	return MHD_YES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const explains[] = {NULL, "1", "0", "x"};
	static struct rgd daemon; /* what checkapi.c reads of it: the engine */
	struct rgd_body body;

	if (size < 1)
		return 0;
	rgd_engine_acquire(NULL, &(unsigned){0});
	explain_value = explains[(data[0] >> 1) & 3];
	memset(&body, 0, sizeof(body));
	body.data = (char *)data + 1;
	body.len = size - 1;
	rgd_check_answer(&daemon, NULL, &body, data[0] & 1);
	return 0;
}
