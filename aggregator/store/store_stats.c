#include "store.h"

#include "ff_prom.h"

json_t *ff_store_stats_json(ff_store *s)
{
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	json_t *doc =
	    json_pack("{s:s, s:I, s:I, s:I, s:I}", "backend", s->ops->name, "batches",
		      (json_int_t)st.batches, "records", (json_int_t)st.records, "bytes",
		      (json_int_t)st.bytes, "append_errors", (json_int_t)st.append_errors);
	ff_store_health h;
	ff_store_get_health(s, &h);
	if (doc != NULL &&
	    (json_object_set_new(doc, "writable", json_boolean(h.writable)) != 0 ||
	     (!h.writable &&
	      json_object_set_new(doc, "write_error", json_string(h.reason)) != 0))) {
		json_decref(doc);
		return NULL;
	}
	if (doc == NULL || s->ops->backend_stats == NULL)
		return doc;
	/* Under the backend's name, so no store shows another's counters as zeros. */
	json_t *own = s->ops->backend_stats(s);
	if (own == NULL || json_object_set_new(doc, s->ops->name, own) != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static const struct {
	const char *family;
	enum ff_prom_type type;
	const char *help;
} ff_store_families[] = {
    {"flowfleet_store_batches", FF_PROM_GAUGE, "Batches the store holds."},
    {"flowfleet_store_records", FF_PROM_GAUGE, "Records the store holds."},
    {"flowfleet_store_disk_bytes", FF_PROM_GAUGE,
     "Bytes the store takes on disk: segments, rollups and journals."},
    {"flowfleet_store_append_errors_total", FF_PROM_COUNTER,
     "Batches the store could not make durable (acknowledged REJECTED)."},
    {"flowfleet_store_writable", FF_PROM_GAUGE,
     "1 while the store's writes work, 0 while they fail (/healthz says 503 then)."},
};

int ff_store_metrics(ff_store *s, struct ff_prom *p)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof ff_store_families / sizeof ff_store_families[0]; i++)
		rc = ff_prom_declare(p, ff_store_families[i].family, ff_store_families[i].type,
				     ff_store_families[i].help);
	ff_store_stats st;
	ff_store_get_stats(s, &st);
	ff_store_health h;
	ff_store_get_health(s, &h);
	ff_prom_label backend = {"backend", s->ops->name};
	const uint64_t v[] = {st.batches, st.records, st.bytes, st.append_errors, h.writable};
	for (size_t i = 0; rc == 0 && i < sizeof v / sizeof v[0]; i++)
		rc = ff_prom_add_u64(p, ff_store_families[i].family, "", &backend, 1, v[i]);
	if (rc == 0 && s->ops->backend_metrics != NULL)
		rc = s->ops->backend_metrics(s, p);
	return rc;
}
