#include "ff_test.h"

#include "cli_http.h"
#include "cli_http_body.h"
#include "cli_http_url.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

static int curl_up(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int curl_down(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

static void url_plain(void **state)
{
	(void)state;
	char err[256], *url = NULL;
	assert_int_equal(
	    ff_cli_http_url("http://127.0.0.1:7480", "/api/v1/top?n=3", &url, err, sizeof err), 0);
	assert_string_equal(url, "http://127.0.0.1:7480/api/v1/top?n=3");
	free(url);
}

static void url_prefix(void **state)
{
	(void)state;
	char err[256], *url = NULL;
	assert_int_equal(ff_cli_http_url("http://h:1/ff//", "/api", &url, err, sizeof err), 0);
	assert_string_equal(url, "http://h:1/ff/api");
	free(url);
}

static void url_https(void **state)
{
	(void)state;
	char err[256], *url = NULL;
	assert_int_equal(ff_cli_http_url("HTTPS://agg.example/", "/api", &url, err, sizeof err), 0);
	assert_string_equal(url, "HTTPS://agg.example/api");
	free(url);
}

static void url_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "ftp://h/",	     "file:///etc/passwd", "127.0.0.1:7480", "http://",
	    "http://h/?q=1", "http://h/#x",	   "gopher://h",     ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[256] = "", *url = NULL;
		assert_int_equal(ff_cli_http_url(bad[i], "/api", &url, err, sizeof err), -1);
		assert_null(url);
		assert_non_null(strstr(err, "bad server URL"));
	}
}

static void body_grows(void **state)
{
	(void)state;
	struct ff_cli_http_body b;
	size_t len = 0;
	ff_cli_http_body_init(&b, 1u << 20);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(ff_cli_http_body_append(&b, "0123456789", 10), 0);
	char *data = ff_cli_http_body_take(&b, &len);
	assert_int_equal(len, 100000);
	assert_int_equal(strlen(data), 100000);
	assert_memory_equal(data + 99990, "0123456789", 10);
	free(data);
	ff_cli_http_body_free(&b);
}

static void body_bound(void **state)
{
	(void)state;
	struct ff_cli_http_body b;
	size_t len = 0;
	ff_cli_http_body_init(&b, 10);
	assert_int_equal(ff_cli_http_body_append(&b, "abcdef", 6), 0);
	assert_int_equal(ff_cli_http_body_append(&b, "ghij", 4), 0);
	assert_int_equal(ff_cli_http_body_append(&b, "k", 1), -1);
	assert_true(b.too_large);
	char *data = ff_cli_http_body_take(&b, &len);
	assert_string_equal(data, "abcdefghij");
	free(data);
	ff_cli_http_body_free(&b);
}

static void body_empty(void **state)
{
	(void)state;
	struct ff_cli_http_body b;
	size_t len = 1;
	ff_cli_http_body_init(&b, 10);
	char *data = ff_cli_http_body_take(&b, &len);
	assert_string_equal(data, "");
	assert_int_equal(len, 0);
	free(data);
}

/* A loopback TCP socket listening on a free port, written to `*port`. */
static int listen_any(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Reads one request (headers and a Content-Length body) into `buf`. */
static size_t read_request(int c, char *buf, size_t cap)
{
	size_t n = 0;
	char *end = NULL;
	ssize_t r;
	while (end == NULL && (r = read(c, buf + n, cap - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	const char *cl = strcasestr(buf, "content-length:");
	size_t want = end != NULL ? (size_t)(end + 4 - buf) : n;
	if (cl != NULL)
		want += strtoul(cl + 15, NULL, 10);
	while (n < want && n < cap - 1 && (r = read(c, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

/*
 * A child process that answers one request with `reply`, or with a 200 whose
 * body is the request itself when `reply` is NULL.
 */
static pid_t serve_once(const char *reply, int *port)
{
	int fd = listen_any(port);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char req[65536], out[70000];
		int c = accept(fd, NULL, NULL);
		size_t n = read_request(c, req, sizeof req);
		if (reply == NULL)
			snprintf(out, sizeof out,
				 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
				 "Connection: close\r\n\r\n%s",
				 n, req);
		else
			snprintf(out, sizeof out, "%s", reply);
		if (write(c, out, strlen(out)) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	close(fd);
	return pid;
}

static void reap(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void get_answer(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 5};
	struct ff_cli_http_response r;
	char url[64], err[512];
	int port;
	pid_t pid = serve_once("HTTP/1.1 404 Not Found\r\nContent-Length: 17\r\n"
			       "Connection: close\r\n\r\n{\"error\":\"nope\"}\n",
			       &port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	assert_int_equal(ff_cli_http_get(url, "/api/v1/x", &opts, &r, err, sizeof err), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.body_len, 17);
	assert_string_equal(r.body, "{\"error\":\"nope\"}\n");
	ff_cli_http_response_free(&r);
	reap(pid);
}

static void post_sends_token(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 5};
	struct ff_cli_http_response r;
	char url[64], err[512];
	int port;
	pid_t pid = serve_once(NULL, &port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	assert_int_equal(ff_cli_http_post(url, "/api/v1/policy", "{\"topk\":5}", "s3cret", &opts,
					  &r, err, sizeof err),
			 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "POST /api/v1/policy HTTP/1.1\r\n"));
	assert_non_null(strstr(r.body, "\r\nAuthorization: Bearer s3cret\r\n"));
	assert_non_null(strstr(r.body, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(r.body, "\r\n\r\n{\"topk\":5}"));
	assert_null(strstr(r.body, "Expect:"));
	ff_cli_http_response_free(&r);
	reap(pid);
}

/* The global token (--token-file, $FLOWFLEET_TOKEN) goes with a GET, and a POST without its own. */
static void get_sends_global_token(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 5, .bearer = "r34d"};
	struct ff_cli_http_response r;
	char url[64], err[512];
	int port;
	pid_t pid = serve_once(NULL, &port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	assert_int_equal(ff_cli_http_get(url, "/api/v1/top", &opts, &r, err, sizeof err), 0);
	assert_non_null(strstr(r.body, "\r\nAuthorization: Bearer r34d\r\n"));
	ff_cli_http_response_free(&r);
	reap(pid);
	pid = serve_once(NULL, &port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	assert_int_equal(
	    ff_cli_http_post(url, "/api/v1/policy", "{}", NULL, &opts, &r, err, sizeof err), 0);
	assert_non_null(strstr(r.body, "\r\nAuthorization: Bearer r34d\r\n"));
	ff_cli_http_response_free(&r);
	reap(pid);
}

static void token_file_first_word(void **state)
{
	(void)state;
	char path[] = "/tmp/ff-test-token.XXXXXX", out[64], err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\n  abc123def \nignored\n", 23), 23);
	close(fd);
	assert_int_equal(ff_cli_http_token_read(path, out, sizeof out, err, sizeof err), 0);
	assert_string_equal(out, "abc123def");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, " \n", 2), 2);
	close(fd);
	assert_int_equal(ff_cli_http_token_read(path, out, sizeof out, err, sizeof err), -1);
	assert_non_null(strstr(err, "holds no token"));
	unlink(path);
	assert_int_equal(ff_cli_http_token_read(path, out, sizeof out, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file or directory"));
}

static void token_control_char(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 1};
	struct ff_cli_http_response r;
	char err[512];
	assert_int_equal(ff_cli_http_post("http://127.0.0.1:1", "/api/v1/policy", "{}",
					  "tok\r\nX-Evil: 1", &opts, &r, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "control character"));
	assert_null(r.body);
}

static void refused(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 5};
	struct ff_cli_http_response r;
	char url[64], err[512];
	int port;
	close(listen_any(&port));
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	assert_int_equal(ff_cli_http_get(url, "/api/v1/agents", &opts, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, url));
	assert_non_null(strstr(err, "connection refused"));
	assert_null(r.body);
}

/* The kernel completes the handshake of a listening socket nobody accepts on. */
static void timeout_no_answer(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 1};
	struct ff_cli_http_response r;
	char url[64], err[512];
	int port, fd = listen_any(&port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	assert_int_equal(ff_cli_http_get(url, "/api/v1/agents", &opts, &r, err, sizeof err), -1);
	close(fd);
	assert_non_null(strstr(err, url));
	assert_non_null(strstr(err, "no answer within 1 s"));
}

static void closed_no_answer(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 5};
	struct ff_cli_http_response r;
	char url[64], err[512];
	int port;
	pid_t pid = serve_once("", &port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	assert_int_equal(ff_cli_http_get(url, "/api/v1/agents", &opts, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "connection closed without a response"));
	reap(pid);
}

static void too_large(void **state)
{
	(void)state;
	const struct ff_cli_http_opts opts = {.timeout_s = 5};
	struct ff_cli_http_response r;
	char url[64], err[512];
	int port;
	pid_t pid = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n{", &port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	assert_int_equal(ff_cli_http_get(url, "/api/v1/flows", &opts, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "/api/v1/flows"));
	assert_non_null(strstr(err, "larger than 256 MiB"));
	assert_null(r.body);
	reap(pid);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(url_plain),
    cmocka_unit_test(url_prefix),
    cmocka_unit_test(url_https),
    cmocka_unit_test(url_refused),
    cmocka_unit_test(body_grows),
    cmocka_unit_test(body_bound),
    cmocka_unit_test(body_empty),
    cmocka_unit_test(get_answer),
    cmocka_unit_test(post_sends_token),
    cmocka_unit_test(token_control_char),
    cmocka_unit_test(get_sends_global_token),
    cmocka_unit_test(token_file_first_word),
    cmocka_unit_test(refused),
    cmocka_unit_test(timeout_no_answer),
    cmocka_unit_test(closed_no_answer),
    cmocka_unit_test(too_large),
};

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("cli_http", tests, curl_up, curl_down);
}
