/* fake_http.h: a tiny scripted HTTP/1.1 server on a thread, for testing the HTTP client's edge cases. */
#ifndef TESTS_FAKE_HTTP_H
#define TESTS_FAKE_HTTP_H

/*
 * Listens on 127.0.0.1 on an ephemeral port; one thread per connection,
 * connections kept alive. What it answers depends on the path:
 *   /ok            200 "hello"
 *   /status/N      status N, body "status N"
 *   /echo          200, the body is the raw request it read (head and body)
 *   /delay/N       200 "late" after N ms
 *   /stall         never answers (until the client goes or the server stops)
 *   /close         closes the connection without answering
 *   /script        200 chunked: each piece of the script as its own chunk,
 *                  delay_ms apart, then the last chunk
 *   /script-stall  as /script, then stalls instead of ending
 * Anything else gets 404.
 */
struct fake_http;

/* Starts the server; NULL if it could not listen. */
struct fake_http *fake_http_start(void);
/*
 * The same server on a unix socket made at path (which must not exist; the
 * caller removes it after fake_http_stop); fake_http_port says 0.
 */
struct fake_http *fake_http_start_unix(const char *path);
int fake_http_port(const struct fake_http *f);
/* Connections accepted so far (shows keep-alive reuse). */
int fake_http_accepted(const struct fake_http *f);
/* Connections the server has seen end (peer closed or reset). */
int fake_http_closed(const struct fake_http *f);
/*
 * The pieces /script sends; pieces (NULL-terminated) must outlive the
 * server's use of them. Call before the request is sent.
 */
void fake_http_set_script(struct fake_http *f, const char *const *pieces, int delay_ms);
/* Stops, closes every connection and joins the threads. NULL does nothing. */
void fake_http_stop(struct fake_http *f);

#endif
