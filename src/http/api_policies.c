/* Routes for policies: the current bundle, and evaluating it on an input. */
#include "engine/governance.h"
#include "http/http.h"
#include "policy/policy.h"

int api_policies_list(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct governance *g = governance_acquire(req->ctx);

	resp->json = json_pack("{s:s, s:o}", "bundle", policy_bundle_hash(g->policies), "policies",
			       policy_bundle_list(g->policies));
	governance_release(req->ctx, g);
	return 0;
}

/*
 * POST /api/v1/policies/evaluate: the body is a policy input (DESIGN §4:
 * run, params, user, artifact, cost, env, now; absent parts neutral), or
 * {"input": ...}. Answers with the decisions the current bundle gives,
 * exactly as a run would store them. Nothing is created.
 */
int api_policies_evaluate(struct http_req *req, struct http_resp *resp, struct vend_err *err)
{
	struct governance *g;
	struct policy_result r = { 0 };
	json_t *given = req->json, *input = NULL;
	int rc;

	if (given && json_is_object(json_object_get(given, "input")))
		given = json_object_get(given, "input");
	if (given && !json_is_object(given))
		return err_set(err, -EINVAL, "the body must be a policy input object: "
					     "{\"run\": {...}, \"params\": {...}, \"user\": {...}}");
	rc = policy_input_normalize(given, &input, err);
	if (rc)
		return rc;
	g = governance_acquire(req->ctx);
	rc = policy_evaluate(g->policies, input, &r, err);
	if (!rc)
		resp->json = policy_result_to_json(&r);
	policy_result_release(&r);
	governance_release(req->ctx, g);
	json_decref(input);
	return rc;
}
