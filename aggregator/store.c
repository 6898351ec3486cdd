#include "store.h"

const char *ff_store_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case FF_STORE_EIO:
		return "i/o error";
	case FF_STORE_ENOMEM:
		return "out of memory";
	case FF_STORE_ELOCKED:
		return "data dir in use by another process";
	case FF_STORE_EINVAL:
		return "batch cannot be stored";
	default:
		return "unknown store error";
	}
}
