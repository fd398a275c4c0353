/* Collected file:line:col diagnostics (see diag.h). */
#include "util/diag.h"
#include "util/xalloc.h"

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (d->n >= DIAGS_MAX) {
		d->n++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup("(out of memory)");
	va_end(ap);
	XGROW(d->v, d->n + 1, d->cap);
	d->v[d->n].file = xstrdup(file ? file : "-");
	d->v[d->n].line = line;
	d->v[d->n].col = col;
	d->v[d->n].msg = msg;
	d->n++;
}

void diags_print(const struct diags *d, FILE *f)
{
	size_t kept = d->n < DIAGS_MAX ? d->n : DIAGS_MAX;

	for (size_t i = 0; i < kept; i++) {
		const struct diag *g = &d->v[i];
		if (g->line > 0)
			fprintf(f, "%s:%d:%d: %s\n", g->file, g->line,
				g->col > 0 ? g->col : 1, g->msg);
		else
			fprintf(f, "%s: %s\n", g->file, g->msg);
	}
	if (d->n > kept)
		fprintf(f, "(%zu more problems not shown)\n", d->n - kept);
}

void diags_free(struct diags *d)
{
	size_t kept = d->n < DIAGS_MAX ? d->n : DIAGS_MAX;

	for (size_t i = 0; i < kept; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
