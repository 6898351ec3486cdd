/*
 * udp_sink: the ceiling for the ingest benchmark. It receives UDP datagrams
 * with recvmmsg() into a preallocated slab, as the agent's listener does, and
 * does nothing with them but count datagrams and the NetFlow v5 records their
 * headers announce. Whatever rate it loses nothing at is what the kernel and
 * this machine allow a collector; the agent and nfcapd are measured against it.
 *
 * Binds 127.0.0.1 only. On SIGTERM/SIGINT it prints one line:
 * "datagrams N records N" and exits 0.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 2048

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int open_socket(int port, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	/* SO_RCVBUFFORCE passes rmem_max when privileged, like the agent and nfcapd -B. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	/* A receive timeout lets the loop notice the signal without racing it. */
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: udp_sink PORT [RCVBUF_BYTES]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	int rcvbuf = argc > 2 ? atoi(argv[2]) : 8 << 20;
	int fd = open_socket(port, rcvbuf);
	if (fd < 0) {
		fprintf(stderr, "udp_sink: bind 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	static unsigned char slab[BATCH][SLOT];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = slab[i], .iov_len = SLOT};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	unsigned long long datagrams = 0, records = 0;
	while (!stop_flag) {
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		for (int i = 0; i < n; i++) {
			const unsigned char *p = slab[i];
			datagrams++;
			if (msgs[i].msg_len >= 4 && p[0] == 0 && p[1] == 5)
				records += (unsigned)p[2] << 8 | p[3];
		}
	}
	printf("datagrams %llu records %llu\n", datagrams, records);
	close(fd);
	return 0;
}
