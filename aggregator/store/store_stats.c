#include "store.h"

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
