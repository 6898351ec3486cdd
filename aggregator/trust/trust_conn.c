/*
 * A key's live connection, remembered so revoking the key can cut it.
 * ZeroMQ owns the socket; the fd number alone could by then name another
 * connection (ZeroMQ closed it and the number was reused), so both ends'
 * addresses are remembered with it and checked again before shutdown(2).
 * Two sockets with the same local and peer address are the same TCP
 * connection.
 */
#include "trust_impl.h"

#include "ff_log.h"

#include <errno.h>
#include <string.h>

static bool ff_trust_conn_ends(int fd, struct sockaddr_storage *peer, socklen_t *peer_len,
			       struct sockaddr_storage *local, socklen_t *local_len)
{
	*peer_len = sizeof *peer;
	*local_len = sizeof *local;
	return getpeername(fd, (struct sockaddr *)peer, peer_len) == 0 &&
	       getsockname(fd, (struct sockaddr *)local, local_len) == 0;
}

void ff__trust_conn_note(ff__trust_conn *c, int fd)
{
	if (fd < 0 || fd == c->fd)
		return;
	if (!ff_trust_conn_ends(fd, &c->peer, &c->peer_len, &c->local, &c->local_len)) {
		c->fd = -1;
		return;
	}
	c->fd = fd;
}

bool ff__trust_conn_cut(ff__trust_conn *c)
{
	if (c->fd < 0)
		return false;
	struct sockaddr_storage peer, local;
	socklen_t peer_len, local_len;
	bool same = ff_trust_conn_ends(c->fd, &peer, &peer_len, &local, &local_len) &&
		    peer_len == c->peer_len && local_len == c->local_len &&
		    memcmp(&peer, &c->peer, peer_len) == 0 &&
		    memcmp(&local, &c->local, local_len) == 0;
	bool cut = same && shutdown(c->fd, SHUT_RDWR) == 0;
	if (same && !cut)
		ff_log_errno(FF_LOG_WARN, errno, "trust: shutdown of fd %d failed", c->fd);
	c->fd = -1;
	return cut;
}
