/* `synack serve`: a synack stack on a link (TUN, TAP or AF_XDP), serving one TCP port with an
 * app (echo, discard, chargen, http; tools/app.h). Runs until SIGINT/SIGTERM or --duration,
 * then closes every connection cleanly and prints the stack's counters as "name value" lines.
 * Exits 1 at once if the device goes away.
 *
 * Hostile peers (issue 10): every connection has a send timeout (SYNACK_TCP_USER_TIMEOUT, so a
 * reader that keeps its window closed is dropped), the apps have deadlines a trickle of bytes
 * cannot reset (tools/app.h), the stack limits connections per source (per_source_limit), and
 * when the stack had to defer a handshake (tcp_admission_deferred grew) while every buffer pair
 * is in use, the connections idle longest are reset to make room (serve_reclaimed).
 *
 * The loop, one wait per batch: wait for the devices' fds or the next deadline (the stack's,
 * an app's, --duration's); feed a batch of frames to the stack; accept new connections; run
 * the app of every connection; poll the stack, which sends what all that produced, and flush
 * each device once (tools/common.c). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "common.h"
#include "synack/loop.h"
#include "tools.h"

#define PROG "synack serve"
#define LINGER_US (30 * 1000000LL)   /* a closing connection waits this long for the peer's FIN */
#define STOP_GRACE_US (5 * 1000000LL)/* at shutdown, connections get this long to finish */
#define TIMEOUT_LINGER_US (2 * 1000000LL) /* after a deadline: the peer's FIN, or a reset */
#define RECLAIM_MIN_IDLE_US 1000000LL /* never reclaim a connection idle for less */
#define RECLAIM_MAX_STEP 16          /* connections reclaimed per loop step, at most */

struct sconn {
    int h;
    void *app;
    int closing;                 /* shut down for writing; waiting for the peer's FIN */
    int timed_out;               /* closing after a deadline: reset if the FIN does not come */
    synack_time_us close_start, close_by;
};

struct server {
    struct net net;
    const struct app *app;
    struct app_ctx ax;
    int listener;
    struct sconn **by_handle;    /* indexed by handle */
    int *live;                   /* handles of open connections */
    unsigned nlive, cap;
    unsigned long accepted;
    int send_timeout_ms;         /* SYNACK_TCP_USER_TIMEOUT of every connection (0: off) */
    uint64_t last_deferred;      /* tcp_admission_deferred at the previous step */
    unsigned long reclaimed, send_timeouts, timeout_resets;
};

static volatile sig_atomic_t stop_flag;

static void usage(FILE *f)
{
    fprintf(f, "usage: synack serve --tun NAME|--tap NAME|--xdp IFNAME... --addr IP[/PREFIX]\n"
               "                    [--host-addr IP/PREFIX] [--gateway IP] [--mac MAC] [--offload]\n"
               "                    [--xdp-mode native|generic|auto] [--xdp-copy] [--queues N]\n"
               "                    [--busy-poll] --port P\n"
               "                    --app echo|discard|chargen|http [--root DIR] [--backlog N]\n"
               "                    [--syncookies off|auto|always] [--syn-backlog N] [--syncache N]\n"
               "                    [--header-timeout S] [--idle-timeout S] [--send-timeout S]\n"
               "                    [--per-source N] [--log]\n"
               "                    [--pcap FILE] [--trace] [--duration SECONDS]\n%s"
               "  --port P              TCP port to listen on\n"
               "  --app NAME            echo (RFC 862), discard (RFC 863), chargen (RFC 864),\n"
               "                        http (HTTP/1.1 GET/HEAD of the files under --root)\n"
               "  --backlog N           accept queue length (default 1024)\n"
               "  --syncookies MODE     SYN cookies, as Linux's net.ipv4.tcp_syncookies: off (SYNs\n"
               "                        are dropped while the half-open queue is full), auto (a\n"
               "                        cookie instead of a syncache entry while the syncache or\n"
               "                        the listener's share of it is full; the default), always\n"
               "                        (every SYN-ACK carries a cookie; nothing is kept)\n"
               "                        (counters: tcp_syncookies_*, tcp_syncache_overflow, ...)\n"
               "  --syn-backlog N       half-open connections (syncache entries) for the listener\n"
               "                        (default: the larger of --backlog and 256)\n"
               "  --syncache N          half-open entries in all (default 4096, 64 bytes each)\n"
               "  --duration SECONDS    stop after this long (default: until SIGINT/SIGTERM)\n"
               "limits against hostile clients (counters serve_*):\n"
               "  --header-timeout S    http: a request head must be complete within S seconds of\n"
               "                        the connection's start or of the previous response's end,\n"
               "                        however the bytes trickle in (default 10; 408, or a close)\n"
               "  --idle-timeout S      echo, discard, chargen (and http request bodies): close a\n"
               "                        connection that moves no byte for S seconds (default 60)\n"
               "  --send-timeout S      drop a connection whose sent data stays unacknowledged,\n"
               "                        or whose peer's window stays closed, S seconds\n"
               "                        (SYNACK_TCP_USER_TIMEOUT; default 30, 0 = off)\n"
               "  --per-source N        connections at once per source address (default 64,\n"
               "                        0 = no limit); past it the handshake waits\n"
               "                        (tcp_source_limited)\n"
               "  (when a handshake had to wait for buffers and every one is in use, the connection\n"
               "  idle longest is reset: serve_reclaimed)\n"
               "  --log                 http: one line per request on stderr (peer, method, path,\n"
               "                        status, body bytes sent)\n",
            net_opts_usage);
}

static void conn_drop(struct server *sv, unsigned i)
{
    struct sconn *c = sv->by_handle[sv->live[i]];
    sv->by_handle[c->h] = NULL;
    sv->live[i] = sv->live[--sv->nlive];
    sv->app->conn_free(c->app);
    free(c);
}

static void conn_abort(struct server *sv, unsigned i)
{
    int h = sv->live[i];
    synack_setsockopt(sv->net.st, h, SYNACK_SO_LINGER_ZERO, 1);
    synack_close(sv->net.st, h);
    conn_drop(sv, i);
}

/* The clean close: our FIN after what is queued; then what the peer still sends is read and
 * dropped until its FIN, so that closing never finds unread data (which would reset). */
static void conn_start_close(struct server *sv, struct sconn *c, synack_time_us now, int timed_out)
{
    c->closing = 1;
    c->timed_out = timed_out;
    c->close_start = now;
    c->close_by = now + (timed_out ? TIMEOUT_LINGER_US : LINGER_US);
    synack_shutdown(sv->net.st, c->h, SYNACK_SHUT_WR);
}

/* Returns 1 when the connection is finished (its handle closed). */
static int conn_closing_step(struct server *sv, struct sconn *c, synack_time_us now)
{
    uint8_t junk[16384];
    for (;;) {
        ssize_t n = synack_recv(sv->net.st, c->h, junk, sizeof junk);
        if (n > 0) continue;
        if (n == 0 || errno != EAGAIN) break;  /* FIN (or the connection ended): close */
        if (now < c->close_by) return 0;
        /* Gave up waiting: close (may reset). After a deadline, reset: an orphan waiting in
         * FIN_WAIT_2 for a peer that does not close would keep its buffers. */
        if (c->timed_out) {
            synack_setsockopt(sv->net.st, c->h, SYNACK_SO_LINGER_ZERO, 1);
            sv->timeout_resets++;
        }
        break;
    }
    synack_close(sv->net.st, c->h);
    return 1;
}

/* Under pressure: the stack deferred handshakes since the last step (tcp_admission_deferred
 * grew) and every buffer pair is in use. Resets the connections idle longest (at least
 * RECLAIM_MIN_IDLE_US; those closing count as idle since their close began), one per deferred
 * handshake, at most RECLAIM_MAX_STEP per step, so that the next final ACK finds room. */
static void reclaim(struct server *sv, synack_time_us now)
{
    uint64_t d = synack_counter_get(sv->net.st, SYNACK_C_tcp_admission_deferred);
    uint64_t want = d - sv->last_deferred;
    sv->last_deferred = d;
    if (!want) return;
    struct synack_mem_stats ms;
    synack_mem_stats(sv->net.st, &ms);
    if (ms.buffers_in_use < ms.buffers_max) return;
    if (want > RECLAIM_MAX_STEP) want = RECLAIM_MAX_STEP;
    while (want--) {
        unsigned best = sv->nlive;
        synack_time_us oldest = now - RECLAIM_MIN_IDLE_US + 1;
        for (unsigned i = 0; i < sv->nlive; i++) {
            struct sconn *c = sv->by_handle[sv->live[i]];
            synack_time_us t = c->closing ? c->close_start : sv->app->idle_since(&sv->ax, c->app);
            if (t < oldest) { oldest = t; best = i; }
        }
        if (best == sv->nlive) return;
        conn_abort(sv, best);
        sv->reclaimed++;
    }
}

static void accept_all(struct server *sv, synack_time_us now)
{
    sv->ax.now = now; /* conn_new() starts the apps' clocks from it */
    for (;;) {
        int h = synack_accept(sv->net.st, sv->listener, NULL, NULL);
        if (h < 0) return;
        struct sconn *c = malloc(sizeof *c);
        if ((unsigned)h >= sv->cap || !c || !(c->app = sv->app->conn_new(&sv->ax, h))) {
            free(c);
            synack_setsockopt(sv->net.st, h, SYNACK_SO_LINGER_ZERO, 1);
            synack_close(sv->net.st, h);
            continue;
        }
        if (sv->send_timeout_ms)
            synack_setsockopt(sv->net.st, h, SYNACK_TCP_USER_TIMEOUT, sv->send_timeout_ms);
        c->h = h;
        c->closing = c->timed_out = 0;
        c->close_start = c->close_by = now;
        sv->by_handle[h] = c;
        sv->live[sv->nlive++] = h;
        sv->accepted++;
    }
}

/* Runs every connection; returns the earliest deadline any of them asked for. */
static synack_time_us run_conns(struct server *sv, synack_time_us now)
{
    synack_time_us next = SYNACK_TIME_NEVER;
    sv->ax.now = now;
    for (unsigned i = 0; i < sv->nlive;) {
        struct sconn *c = sv->by_handle[sv->live[i]];
        if (c->closing) {
            if (conn_closing_step(sv, c, now)) { conn_drop(sv, i); continue; }
            if (c->close_by < next) next = c->close_by;
            i++;
            continue;
        }
        int ev = synack_sock_events(sv->net.st, c->h);
        if (ev < 0) { conn_drop(sv, i); continue; }
        enum app_result r = sv->app->step(&sv->ax, c->app, c->h, ev);
        if (r == APP_ABORT) {
            if (errno == ETIMEDOUT) sv->send_timeouts++; /* the stack's user timeout */
            conn_abort(sv, i);
            continue;
        }
        if (r == APP_CLOSE || r == APP_TIMEOUT) {
            conn_start_close(sv, c, now, r == APP_TIMEOUT);
            continue; /* the same slot again, now closing */
        }
        synack_time_us d = sv->app->deadline(&sv->ax, c->app);
        if (d < next) next = d;
        i++;
    }
    return next;
}

/* serve's own counters, after the stack's. */
static void print_counters(const struct server *sv, FILE *f)
{
    fprintf(f, "serve_accepted %lu\nserve_header_timeouts %lu\nserve_idle_timeouts %lu\n"
               "serve_timeout_resets %lu\nserve_send_timeouts %lu\nserve_reclaimed %lu\n",
            sv->accepted, sv->ax.header_timeouts, sv->ax.idle_timeouts, sv->timeout_resets,
            sv->send_timeouts, sv->reclaimed);
    fflush(f);
}

int tool_serve(int argc, char **argv)
{
    struct server sv;
    struct net_opts no;
    struct synack_config cfg;
    const char *app_name = NULL;
    unsigned long port = 0, backlog = 1024, syn_backlog = 0, syncache = 0;
    int syncookies = SYNACK_SYNCOOKIES_AUTO;
    static const char *const cookie_modes[] = {"off", "auto", "always"};
    double duration = -1, header_timeout = 10, idle_timeout = 60, send_timeout = 30;
    unsigned long per_source = 64;
    int rc = 1;

    memset(&sv, 0, sizeof sv);
    memset(&no, 0, sizeof no);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = net_opt(PROG, &no, argc, argv, &i);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--log")) { sv.ax.log = 1; continue; }
        if (!strcmp(a, "--port") || !strcmp(a, "--app") || !strcmp(a, "--root") ||
            !strcmp(a, "--backlog") || !strcmp(a, "--duration") || !strcmp(a, "--syncookies") ||
            !strcmp(a, "--syn-backlog") || !strcmp(a, "--syncache") ||
            !strcmp(a, "--header-timeout") || !strcmp(a, "--idle-timeout") ||
            !strcmp(a, "--send-timeout") || !strcmp(a, "--per-source")) {
            if (!v) { fprintf(stderr, "%s: %s needs a value\n", PROG, a); return 2; }
            i++;
            if (!strcmp(a, "--port")) { if (opt_uint(PROG, a, v, 1, 65535, &port) < 0) return 2; }
            else if (!strcmp(a, "--app")) app_name = v;
            else if (!strcmp(a, "--root")) sv.ax.root = v;
            else if (!strcmp(a, "--backlog")) { if (opt_uint(PROG, a, v, 1, 65535, &backlog) < 0) return 2; }
            else if (!strcmp(a, "--syn-backlog")) { if (opt_uint(PROG, a, v, 1, 65535, &syn_backlog) < 0) return 2; }
            else if (!strcmp(a, "--syncache")) { if (opt_uint(PROG, a, v, 1, 1u << 20, &syncache) < 0) return 2; }
            else if (!strcmp(a, "--per-source")) { if (opt_uint(PROG, a, v, 0, 65535, &per_source) < 0) return 2; }
            else if (!strcmp(a, "--header-timeout") || !strcmp(a, "--idle-timeout")) {
                double *t = a[2] == 'h' ? &header_timeout : &idle_timeout;
                if (opt_double(PROG, a, v, t) < 0) return 2;
                if (*t < 0.001 || *t > 86400) {
                    fprintf(stderr, "%s: bad value '%s' for %s (0.001 to 86400 seconds)\n", PROG, v, a);
                    return 2;
                }
            }
            else if (!strcmp(a, "--send-timeout")) {
                if (opt_double(PROG, a, v, &send_timeout) < 0) return 2;
                if (send_timeout > 86400 || (send_timeout > 0 && send_timeout < 0.001)) {
                    fprintf(stderr, "%s: bad value '%s' for %s (0, or 0.001 to 86400 seconds)\n", PROG, v, a);
                    return 2;
                }
            }
            else if (!strcmp(a, "--syncookies")) {
                if (!strcmp(v, "off")) syncookies = SYNACK_SYNCOOKIES_OFF;
                else if (!strcmp(v, "auto")) syncookies = SYNACK_SYNCOOKIES_AUTO;
                else if (!strcmp(v, "always")) syncookies = SYNACK_SYNCOOKIES_ALWAYS;
                else {
                    fprintf(stderr, "%s: bad value '%s' for --syncookies (off, auto, always)\n", PROG, v);
                    return 2;
                }
            }
            else if (opt_double(PROG, a, v, &duration) < 0) return 2;
            continue;
        }
        fprintf(stderr, "%s: unknown option '%s'\n", PROG, a);
        usage(stderr);
        return 2;
    }
    if (no.link == NET_LINK_NONE || !no.have_addr || !port || !app_name) {
        fprintf(stderr, "%s: a link (--tun, --tap or --xdp), --addr, --port and --app are required\n",
                PROG);
        usage(stderr);
        return 2;
    }
    if (net_opts_check(PROG, &no) < 0) return 2;
    if (!strcmp(app_name, "echo")) sv.app = &app_echo;
    else if (!strcmp(app_name, "discard")) sv.app = &app_discard;
    else if (!strcmp(app_name, "chargen")) sv.app = &app_chargen;
    else if (!strcmp(app_name, "http")) sv.app = &app_http;
    else {
        fprintf(stderr, "%s: unknown app '%s' (echo, discard, chargen, http)\n", PROG, app_name);
        return 2;
    }
    if (sv.app->init && sv.app->init(&sv.ax) < 0) return 2;
    sv.ax.header_timeout = (synack_time_us)(header_timeout * 1e6);
    sv.ax.idle_timeout = (synack_time_us)(idle_timeout * 1e6);
    sv.send_timeout_ms = (int)(send_timeout * 1000 + 0.5);
    if (send_timeout > 0 && !sv.send_timeout_ms) sv.send_timeout_ms = 1;

    synack_config_default(&cfg);
    cfg.syn_backlog = syn_backlog ? (unsigned)syn_backlog : backlog > 256 ? (unsigned)backlog : 256;
    cfg.syncookies = syncookies;
    if (syncache) cfg.syncache_entries = (unsigned)syncache;
    cfg.per_source_limit = (unsigned)per_source;
    if (net_open(&sv.net, PROG, &no, &cfg) < 0) return 1;
    sv.ax.st = sv.net.st;
    sv.cap = cfg.max_sockets;
    sv.by_handle = calloc(sv.cap, sizeof *sv.by_handle);
    sv.live = calloc(sv.cap, sizeof *sv.live);
    if (!sv.by_handle || !sv.live) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        goto out;
    }

    char ip[16];
    sv.listener = synack_socket(sv.net.st, SYNACK_SOCK_STREAM);
    if (sv.listener < 0 || synack_bind(sv.net.st, sv.listener, no.addr, (uint16_t)port) < 0 ||
        synack_listen(sv.net.st, sv.listener, (int)backlog) < 0) {
        fprintf(stderr, "%s: cannot listen on %s:%lu: %s\n", PROG, synack_ip_str(no.addr, ip), port,
                strerror(errno));
        goto out;
    }
    if (synack_loop_install_stop_signals(&stop_flag) < 0) {
        fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
        goto out;
    }
    char ps[16];
    snprintf(ps, sizeof ps, "%lu", per_source);
    fprintf(stderr, "%s: %s app on %s:%lu via %s (syncookies %s, syn backlog %u, syncache %u; "
                    "limits: %u connections, %u slots, %s per source, header timeout %g s, "
                    "idle timeout %g s, send timeout %g s)\n",
            PROG, sv.app->name, synack_ip_str(no.addr, ip), port, sv.net.desc,
            cookie_modes[syncookies], cfg.syn_backlog, cfg.syncache_entries, cfg.max_buffers,
            cfg.max_sockets, per_source ? ps : "no limit", header_timeout, idle_timeout,
            send_timeout);
    sv.last_deferred = synack_counter_get(sv.net.st, SYNACK_C_tcp_admission_deferred);

    synack_time_us now = net_now();
    synack_time_us end = duration >= 0 ? now + (synack_time_us)(duration * 1e6) : SYNACK_TIME_NEVER;
    synack_time_us stop_by = SYNACK_TIME_NEVER, app_next = SYNACK_TIME_NEVER;
    for (;;) {
        now = net_now();
        if (!sv.ax.stopping && (stop_flag || now >= end)) {
            /* Stop: no new connections; the apps finish what they are doing and close. */
            sv.ax.stopping = 1;
            stop_by = now + STOP_GRACE_US;
            fprintf(stderr, "%s: stopping: %u connections open, %ld in the stack not closed\n", PROG,
                    sv.nlive, net_active_conns(&sv.net));
            accept_all(&sv, now);
            synack_close(sv.net.st, sv.listener);
            sv.listener = -1;
            app_next = run_conns(&sv, now);
            net_tx(&sv.net);
        }
        if (sv.ax.stopping) {
            if (sv.nlive == 0 && net_active_conns(&sv.net) == 0) break;
            if (now >= stop_by) {
                fprintf(stderr, "%s: %u connections still open after %lld s: reset\n", PROG,
                        sv.nlive, (long long)(STOP_GRACE_US / 1000000));
                while (sv.nlive) conn_abort(&sv, 0);
                net_tx(&sv.net);
                break;
            }
        }
        synack_time_us d = app_next < end ? app_next : end;
        if (stop_by < d) d = stop_by;
        unsigned ready;
        if (net_wait(&sv.net, NULL, 0, d, &ready) < 0) goto out;
        now = net_now();
        if ((ready & 1) && net_rx(&sv.net) < 0) goto out;
        if (sv.listener >= 0) accept_all(&sv, now);
        app_next = run_conns(&sv, now);
        reclaim(&sv, now);
        net_tx(&sv.net);
    }
    rc = 0;
    fprintf(stderr, "%s: stopped after %lu connections\n", PROG, sv.accepted);
    net_print_counters(&sv.net, stdout);
    print_counters(&sv, stdout);
out:
    if (sv.net.failed) {
        /* the device went away: no clean close is possible; the counters are still evidence */
        fprintf(stderr, "%s: stopped: %u connections open\n", PROG, sv.nlive);
        net_print_counters(&sv.net, stdout);
        print_counters(&sv, stdout);
    }
    if (sv.by_handle)
        while (sv.nlive) conn_drop(&sv, 0);
    free(sv.by_handle);
    free(sv.live);
    net_close(&sv.net);
    return rc;
}
