/* Applications served by `synack serve` (tools/serve.c): echo, discard, chargen
 * (tools/app_basic.c) and http (tools/app_http.c).
 *
 * serve owns the connections and calls an app's step() whenever the loop runs (after packets
 * came in, at deadlines, and once when stopping); step() reads and writes the connection with
 * the non-blocking socket calls until they would block, and says what should happen next. It
 * never closes the handle itself: APP_CLOSE asks serve for a clean close (shutdown for writing,
 * then read and discard until the peer's FIN, then close), APP_ABORT for an immediate close,
 * APP_TIMEOUT for the close of a peer that missed a deadline (what is queued goes out with a
 * FIN; the peer gets TIMEOUT_LINGER to close its side, then is reset, so that neither its
 * slot nor its buffers outlive the deadline by more than that).
 *
 * Timeouts a trickle of bytes cannot reset (issue 10): http has a whole-request header
 * deadline (header_timeout from the connection's start or from the end of the previous
 * response), echo/discard/chargen an idle limit (idle_timeout without a byte moved either way).
 * serve sets SYNACK_TCP_USER_TIMEOUT on every connection (the send timeout), and under
 * pressure reclaims the connection whose idle_since() is oldest. */
#ifndef SYNACK_TOOLS_APP_H
#define SYNACK_TOOLS_APP_H
#include <stdint.h>
#include "synack/socket.h"

enum app_result { APP_OPEN = 0, APP_CLOSE, APP_ABORT, APP_TIMEOUT };

struct app_ctx {
    struct synack_stack *st;
    synack_time_us now;
    int stopping;           /* the server is shutting down: finish what is under way, then close */
    const char *root;       /* --root (http) */
    synack_time_us header_timeout; /* --header-timeout (http), microseconds, > 0 */
    synack_time_us idle_timeout;   /* --idle-timeout (echo, discard, chargen; http request
                                      bodies), microseconds, > 0 */
    int log;                /* --log: http prints one line per request on stderr */
    unsigned long header_timeouts, idle_timeouts; /* counted by the apps */
};

struct app {
    const char *name;
    /* Checks the options once at start (e.g. that --root exists); 0 or -1 (printed). */
    int (*init)(struct app_ctx *ax);
    /* Per-connection state (NULL on failure: the connection is aborted). */
    void *(*conn_new)(struct app_ctx *ax, int h);
    void (*conn_free)(void *c);
    /* ev: synack_sock_events() of the handle (may be 0). */
    enum app_result (*step)(struct app_ctx *ax, void *c, int h, int ev);
    /* When the app next needs step() without network events (SYNACK_TIME_NEVER: never). */
    synack_time_us (*deadline)(struct app_ctx *ax, void *c);
    /* Since when the connection has made no progress of its own (http: the start of the wait
     * for a request, or the last byte of a response sent; the others: the last byte moved),
     * or SYNACK_TIME_NEVER when it must not be reclaimed: under pressure, serve reclaims the
     * oldest first. */
    synack_time_us (*idle_since)(struct app_ctx *ax, void *c);
};

extern const struct app app_echo, app_discard, app_chargen, app_http;
#endif
