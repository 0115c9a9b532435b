/* Applications served by `synack serve` (tools/serve.c): echo, discard, chargen
 * (tools/app_basic.c) and http (tools/app_http.c).
 *
 * serve owns the connections and calls an app's step() whenever the loop runs (after packets
 * came in, at deadlines, and once when stopping); step() reads and writes the connection with
 * the non-blocking socket calls until they would block, and says what should happen next. It
 * never closes the handle itself: APP_CLOSE asks serve for a clean close (shutdown for writing,
 * then read and discard until the peer's FIN, then close), APP_ABORT for an immediate close. */
#ifndef SYNACK_TOOLS_APP_H
#define SYNACK_TOOLS_APP_H
#include <stdint.h>
#include "synack/socket.h"

enum app_result { APP_OPEN = 0, APP_CLOSE, APP_ABORT };

struct app_ctx {
    struct synack_stack *st;
    synack_time_us now;
    int stopping;           /* the server is shutting down: finish what is under way, then close */
    const char *root;       /* --root (http) */
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
};

extern const struct app app_echo, app_discard, app_chargen, app_http;
#endif
