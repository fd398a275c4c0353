/*
 * Private to the template module (template*.c, params.c): the parse
 * context that collects problems with their positions, and the checks the
 * files share. Nothing here is part of the module's interface.
 */
#ifndef VEND_TEMPLATE_TEMPLATE_INT_H
#define VEND_TEMPLATE_TEMPLATE_INT_H

#include "template/template.h"
#include "template/yaml.h"

/* One document being checked: every problem goes to d at a position. */
struct tp {
	const char *path;
	struct diags *d;
	int errors;
};

/* Adds a problem at node n's position (or the file's, if n is NULL). */
void template__err(struct tp *P, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void template__err_at(struct tp *P, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Reports every key of mapping m that is neither in `allowed` nor in
 * `later` (keys DESIGN defines that this version does not implement yet),
 * each at the key's position. `where` names m in messages ("spec",
 * "spec.steps[0]"); "" for the document itself. Lists end with NULL.
 */
void template__check_keys(struct tp *P, const struct ynode *m, const char *where,
			  const char *const *allowed, const char *const *later);

/* "where.key" or "key" when where is "". */
void template__path(char *out, size_t size, const char *where, const char *key);

/*
 * A text field: a non-null scalar (numbers and booleans give their text).
 * Returns its text (borrowed) or NULL after reporting why. `required` says
 * whether absence is a problem; `m` is the mapping that should hold it.
 */
const char *template__text(struct tp *P, const struct ynode *m, const char *key,
			   const char *where, bool required);
/* A boolean field; returns false when absent or bad (after reporting). */
bool template__bool(struct tp *P, const struct ynode *m, const char *key,
		    const char *where, bool dflt);

/* Reports unterminated or empty ${{ }} in scalar n at their positions. */
void template__check_interp(struct tp *P, const struct ynode *n, const char *where);
/* Parses `labels: [a, b]`: runner labels, each [a-z0-9._-]{1,64}, at most
 * 32. Returns a new array, or NULL after reporting a problem. */
json_t *template__parse_labels(struct tp *P, const struct ynode *v, const char *where);
/* Compiles a CEL expression found in scalar n; on a syntax error reports
 * it at its position and returns false. */
bool template__check_cel(struct tp *P, const struct ynode *n, const char *expr, size_t len,
			 const char *where);

/* Checks a step's `analysis:` mapping n; returns its spec as JSON with
 * every default filled (new), or NULL after reporting each problem at its
 * line. */
json_t *template__parse_analysis(struct tp *P, const struct ynode *n, const char *where);

/* Whether s matches [first][rest]{0,max-1}, with the sets as strings. */
bool template__name_ok(const char *s, const char *first, const char *rest, size_t max);


/* The parts of spec, in template_params.c and template_steps.c. */
void template__parse_params(struct tp *P, const struct ynode *params,
			    struct template *t);
void template__parse_steps(struct tp *P, const struct ynode *list,
			   const char *where, struct step_spec **out, size_t *n_out);
void template__free_param(struct param_spec *p);
/* One step (where "spec.drift": a drift check, no name); false after
 * reporting problems (st still needs template__free_step). */
bool template__parse_one_step(struct tp *P, const struct ynode *m, const char *where,
			      struct step_spec *st);
void template__free_step(struct step_spec *st);
/* spec.drift and spec.triggers (template_drift.c). */
void template__parse_drift(struct tp *P, const struct ynode *v, struct template *t);
void template__parse_triggers(struct tp *P, const struct ynode *v, struct template *t);
void template__free_ops(struct template *t);
json_t *template__ops_to_json(const struct template *t, json_t *out);
void template__free_steps(struct step_spec *v, size_t n);
void template__parse_notify(struct tp *P, const struct ynode *v, struct template *t);
/* The notify list v (named where in messages) into new *out, *n. */
void template__parse_notify_list(struct tp *P, const struct ynode *v, const char *where,
				 struct notify_spec **out, size_t *n);
void template__free_notify(struct notify_spec *v, size_t n);
/* schedule: and cost: (template_schedule.c); schedule after parameters. */
void template__parse_schedule(struct tp *P, const struct ynode *v, struct template *t);
void template__parse_cost(struct tp *P, const struct ynode *v, struct template *t);
void template__free_schedules(struct schedule_spec *v, size_t n);
json_t *template__schedules_to_json(const struct schedule_spec *v, size_t n);
json_t *template__param_to_json(const struct param_spec *p);
json_t *template__steps_to_json(const struct step_spec *v, size_t n);

/*
 * Checks typed value v against p's rules: enum (unless skip_enum),
 * pattern, minimum/maximum, minLength/maxLength. v must already have p's
 * JSON type. Returns 0, or -EINVAL with the reason in why ("must be at most
 * 20 (got 25)").
 */
int template__check_value(const struct param_spec *p, json_t *v, bool skip_enum,
			  char *why, size_t size);

/* A number for a message: integers without a fraction, others shortest. */
void template__fmt_num(double x, char *out, size_t size);

#endif
