/* SYN floods in virtual time (issue 4, "Done means"): spoofed SYNs from random sources in
 * 10.78.0.0/16 are fed straight to a server stack's synack_input; its SYN-ACKs to them are
 * discarded (as a blackhole route would); real synack client stacks, on an in-memory link with
 * 1 ms delay, open connections through the flood, exchange data (an echo) and close. The
 * server's pools are measured before the flood and after virtual time has passed the SYN-ACK
 * retries of every half-open entry. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "../harness/test.h"
#include "../harness/flood.h"
#include "synack/socket.h"

#define PORT 80
#define MSG_LEN 64
#define MAX_SRV_FDS 4096

enum { L_CONNECTING = 1, L_SENT, L_DONE, L_FAILED };

struct legit {
    int cli, fd, state, err, got;
    synack_time_us start, connected;
    uint8_t msg[MSG_LEN], buf[MSG_LEN];
};

struct srvconn { int open, got, echoed; uint8_t buf[MSG_LEN]; };

struct run {
    /* parameters */
    int mode;                    /* SYNACK_SYNCOOKIES_* */
    unsigned long spoof_total;   /* spoofed SYNs */
    unsigned spoof_per_tick;
    synack_time_us tick_us;
    int nlegit;
    synack_time_us legit_offset_us, legit_every_us; /* first start, after the flood begins */
    synack_time_us settle_us;    /* virtual time after the last spoofed SYN and legit start
                                    (the run ends earlier when no stack has anything pending) */
    int nclients;
    /* results */
    struct flood_world w;
    struct legit *lg;
    struct srvconn *sc;
    int *active, nactive, *sopen, nsopen;
    int started, ndone, nfailed, accepted, srv_eof, srv_bad;
    synack_time_us max_connect_us, max_done_us, flood_start, flood_end;
    unsigned max_half_open;
    struct synack_mem_stats before, after;
    int ls;
    long iterations;
    double real_s;
};

static uint64_t cnt(struct synack_stack *st, enum synack_counter c) { return synack_counter_get(st, c); }

static int g_mode;
static void mode_adjust(struct synack_config *cfg, int is_server)
{
    if (is_server) cfg->syncookies = g_mode;
}

static void start_legit(struct run *r, int i)
{
    struct legit *l = &r->lg[i];
    struct synack_stack *c;
    l->cli = i % r->w.ncli;
    c = r->w.cli[l->cli];
    l->start = r->w.now;
    for (int k = 0; k < MSG_LEN; k++) l->msg[k] = (uint8_t)(i * 7 + k);
    l->fd = synack_socket(c, SYNACK_SOCK_STREAM);
    if (l->fd < 0 || synack_connect(c, l->fd, FLOOD_SERVER_ADDR, PORT) != -1 || errno != EINPROGRESS) {
        l->state = L_FAILED;
        l->err = -10;
        r->nfailed++;
        return;
    }
    l->state = L_CONNECTING;
    r->active[r->nactive++] = i;
}

/* One pass of the applications: clients progress; the server accepts, echoes, closes on EOF.
 * Returns 1 if any socket call was made (the stacks then need a poll). */
static int service(struct run *r)
{
    struct flood_world *w = &r->w;
    int fd, did = 0;
    for (int k = 0; k < r->nactive;) {
        struct legit *l = &r->lg[r->active[k]];
        struct synack_stack *c = w->cli[l->cli];
        int ev = synack_sock_events(c, l->fd);
        if (l->state == L_CONNECTING && (ev & (SYNACK_EV_OUT | SYNACK_EV_ERR))) {
            int e = -1;
            did = 1;
            synack_getsockopt(c, l->fd, SYNACK_SO_ERROR, &e);
            if (e != 0) { l->err = e; l->state = L_FAILED; }
            else {
                l->connected = w->now;
                if (w->now - l->start > r->max_connect_us) r->max_connect_us = w->now - l->start;
                if (synack_send(c, l->fd, l->msg, MSG_LEN) != MSG_LEN) { l->err = -2; l->state = L_FAILED; }
                else l->state = L_SENT;
            }
        } else if (l->state == L_SENT && (ev & (SYNACK_EV_IN | SYNACK_EV_ERR | SYNACK_EV_RDHUP))) {
            ssize_t n = synack_recv(c, l->fd, l->buf + l->got, (size_t)(MSG_LEN - l->got));
            did = 1;
            if (n > 0) {
                l->got += (int)n;
                if (l->got == MSG_LEN) {
                    l->state = memcmp(l->buf, l->msg, MSG_LEN) ? L_FAILED : L_DONE;
                    if (w->now - l->start > r->max_done_us) r->max_done_us = w->now - l->start;
                }
            } else if (n == 0 || errno != EAGAIN) {
                l->err = n == 0 ? -3 : errno;
                l->state = L_FAILED;
            }
        }
        if (l->state == L_DONE || l->state == L_FAILED) {
            synack_close(c, l->fd);
            if (l->state == L_DONE) r->ndone++; else r->nfailed++;
            r->active[k] = r->active[--r->nactive];
            continue;
        }
        k++;
    }
    while ((fd = synack_accept(w->srv, r->ls, NULL, NULL)) >= 0) {
        did = 1;
        r->accepted++;
        if (fd >= MAX_SRV_FDS) { r->srv_bad++; synack_close(w->srv, fd); continue; }
        memset(&r->sc[fd], 0, sizeof r->sc[fd]);
        r->sc[fd].open = 1;
        r->sopen[r->nsopen++] = fd;
    }
    for (int k = 0; k < r->nsopen;) {
        int s = r->sopen[k];
        struct srvconn *c = &r->sc[s];
        int ev = synack_sock_events(w->srv, s);
        if (ev & (SYNACK_EV_IN | SYNACK_EV_ERR | SYNACK_EV_RDHUP)) {
            uint8_t tmp[MSG_LEN];
            ssize_t n = synack_recv(w->srv, s, tmp, sizeof tmp);
            did = 1;
            if (n > 0) {
                if (c->got + n > MSG_LEN) { r->srv_bad++; n = MSG_LEN - c->got; }
                memcpy(c->buf + c->got, tmp, (size_t)n);
                c->got += (int)n;
                if (c->got == MSG_LEN && !c->echoed) {
                    if (synack_send(w->srv, s, c->buf, MSG_LEN) != MSG_LEN) r->srv_bad++;
                    c->echoed = 1;
                }
            } else if (n == 0 || errno != EAGAIN) {
                if (n == 0 && c->echoed) r->srv_eof++; else r->srv_bad++;
                synack_close(w->srv, s);
                c->open = 0;
                r->sopen[k] = r->sopen[--r->nsopen];
                continue;
            }
        }
        k++;
    }
    return did;
}

/* Runs one flood with legitimate clients; fills the results in r. Returns 0 or -1 (setup). */
static int run_flood(struct run *r)
{
    struct flood_world *w = &r->w;
    synack_time_us next_tick, next_start, end;
    unsigned long spoofed = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    g_mode = r->mode;
    if (flood_world_init(w, r->nclients, 0x5eed0004, mode_adjust)) return -1;
    r->lg = calloc((size_t)r->nlegit + 1, sizeof *r->lg);
    r->active = calloc((size_t)r->nlegit + 1, sizeof *r->active);
    r->sc = calloc(MAX_SRV_FDS, sizeof *r->sc);
    r->sopen = calloc(MAX_SRV_FDS, sizeof *r->sopen);
    if (!r->lg || !r->active || !r->sc || !r->sopen) return -1;
    r->ls = synack_socket(w->srv, SYNACK_SOCK_STREAM);
    if (r->ls < 0 || synack_bind(w->srv, r->ls, 0, PORT) || synack_listen(w->srv, r->ls, 128)) return -1;
    flood_world_flush(w);
    synack_mem_stats(w->srv, &r->before);
    r->flood_start = next_tick = w->now;
    next_start = w->now + r->legit_offset_us;
    end = SYNACK_TIME_NEVER;
    for (;;) {
        synack_time_us next = flood_world_next(w);
        struct synack_mem_stats m;
        if (spoofed < r->spoof_total && next_tick < next) next = next_tick;
        if (r->started < r->nlegit && next_start < next) next = next_start;
        if (end == SYNACK_TIME_NEVER && spoofed == r->spoof_total && r->started == r->nlegit) {
            r->flood_end = w->now;
            end = w->now + r->settle_us;
        }
        if (next > end || next == SYNACK_TIME_NEVER) break;
        if (++r->iterations > 50000000) return -1;   /* a stack that never settles */
        flood_world_advance(w, next);
        if (spoofed < r->spoof_total && w->now >= next_tick) {
            unsigned n = r->spoof_per_tick;
            if (n > r->spoof_total - spoofed) n = (unsigned)(r->spoof_total - spoofed);
            flood_world_spoof(w, n, PORT);
            spoofed += n;
            next_tick += r->tick_us;
            flood_world_flush(w);
        }
        if (r->started < r->nlegit && w->now >= next_start) {
            start_legit(r, r->started++);
            next_start += r->legit_every_us;
            flood_world_flush(w);
        }
        if (service(r)) flood_world_flush(w);
        synack_mem_stats(w->srv, &m);
        if (m.half_open > r->max_half_open) r->max_half_open = m.half_open;
    }
    /* Let the last packets and closes settle, then measure. */
    flood_world_advance(w, w->now + 1);
    synack_mem_stats(w->srv, &r->after);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->real_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return 0;
}

static void run_free(struct run *r)
{
    flood_world_free(&r->w);
    free(r->lg);
    free(r->active);
    free(r->sc);
    free(r->sopen);
}

static uint64_t cli_sum(struct run *r, enum synack_counter c)
{
    uint64_t n = 0;
    for (int i = 0; i < r->w.ncli; i++) n += cnt(r->w.cli[i], c);
    return n;
}

static void report(const char *name, struct run *r)
{
    struct synack_stack *s = r->w.srv;
    if (!getenv("TEST_VERBOSE")) return;
    fprintf(stderr, "%s: clients: paws drops %" PRIu64 " rexmit %" PRIu64 " rst_in %" PRIu64
            "; server: paws drops %" PRIu64 " rexmit %" PRIu64 "\n", name,
            cli_sum(r, SYNACK_C_tcp_drop_paws), cli_sum(r, SYNACK_C_tcp_rexmit),
            cli_sum(r, SYNACK_C_tcp_rst_in), cnt(s, SYNACK_C_tcp_drop_paws), cnt(s, SYNACK_C_tcp_rexmit));
    fprintf(stderr,
            "%s: %.2f s real, %.1f s virtual, %ld iterations; spoofed in %" PRIu64 " out %" PRIu64
            "; legit done %d failed %d accepted %d, max connect %.3f ms, max echo %.3f ms; max half_open %u;\n"
            "  syn_in %" PRIu64 " syncache_added %" PRIu64 " overflow %" PRIu64 " cookies_sent %" PRIu64
            " cookies_ok %" PRIu64 " syn_dropped %" PRIu64 " synack_rexmit %" PRIu64 " half_open_expired %" PRIu64
            " tx_drop %" PRIu64 "\n",
            name, r->real_s, (double)(r->w.now - r->flood_start) / 1e6, r->iterations, r->w.spoof_in,
            r->w.spoof_out, r->ndone, r->nfailed, r->accepted, (double)r->max_connect_us / 1e3,
            (double)r->max_done_us / 1e3,
            r->max_half_open, cnt(s, SYNACK_C_tcp_syn_in), cnt(s, SYNACK_C_tcp_syncache_added),
            cnt(s, SYNACK_C_tcp_syncache_overflow), cnt(s, SYNACK_C_tcp_syncookies_sent),
            cnt(s, SYNACK_C_tcp_syncookies_ok), cnt(s, SYNACK_C_tcp_syn_dropped),
            cnt(s, SYNACK_C_tcp_synack_rexmit), cnt(s, SYNACK_C_tcp_half_open_expired),
            cnt(s, SYNACK_C_tx_drop_queue_full));
}

/* The legitimate exchanges went through without a loss: no segment of a cookie connection
 * was refused by the client's PAWS check (RFC 7323 §5.3), nothing had to be retransmitted,
 * and each echo came back within a few round trips. */
static void check_clean_exchanges(struct run *r)
{
    CHECK_EQ(cli_sum(r, SYNACK_C_tcp_drop_paws), 0);
    CHECK_EQ(cnt(r->w.srv, SYNACK_C_tcp_drop_paws), 0);
    CHECK_EQ(cli_sum(r, SYNACK_C_tcp_rexmit), 0);
    CHECK_EQ(cnt(r->w.srv, SYNACK_C_tcp_rexmit), 0);
    CHECK_MSG(r->max_done_us < 100000, "slowest echo %" PRId64 " us", r->max_done_us);
}

/* The pools after the flood are what they were before it. */
static void check_mem_flat(struct run *r)
{
    CHECK_EQ(r->after.sockets_in_use, r->before.sockets_in_use);
    CHECK_EQ(r->after.buffers_in_use, r->before.buffers_in_use);
    CHECK_EQ(r->after.half_open, r->before.half_open);
    CHECK_EQ(r->after.timers_armed, r->before.timers_armed);
    CHECK_EQ(r->after.tx_queued, 0);
    CHECK_EQ(r->after.bytes_reserved, r->before.bytes_reserved);
    CHECK_EQ(r->before.sockets_in_use, 1);            /* the listener */
    CHECK_EQ(r->before.half_open, 0);
}

/* One million spoofed SYNs at 100,000 a second (100 every millisecond, 10 s of virtual time)
 * at a listener with backlog 128 in auto mode, and 1,000 legitimate connections, one every
 * 10 ms from 4 client stacks, each sending 64 bytes, reading the echo and closing. The
 * half-open cache fills within the first 3 ms and every later SYN gets a cookie. */
static void flood_auto(struct run *r)
{
    struct synack_stack *s;
    r->mode = SYNACK_SYNCOOKIES_AUTO;
    /* The full million also under ASan+UBSan (about 0.7 s there, 0.2 s in a normal build). */
    r->spoof_total = 1000000;
    r->spoof_per_tick = 100;
    r->tick_us = 1000;
    r->nlegit = 1000;
    r->legit_offset_us = 500;
    r->legit_every_us = 10000;
    r->settle_us = 75 * 1000000LL;     /* > 63 s of SYN-ACK retries (1+2+4+8+16+32 s) */
    r->nclients = 4;
    CHECK_MSG(run_flood(r) == 0, "setup failed or the run did not settle");
    s = r->w.srv;
    report("flood_auto", r);
    CHECK_EQ(r->w.spoof_in, r->spoof_total);
    /* Every legitimate connection completed: accepted, echoed, closed cleanly, and its first
     * SYN was answered (no connect took a SYN retransmission). */
    CHECK_EQ(r->started, 1000);
    CHECK_EQ(r->ndone, 1000);
    CHECK_EQ(r->nfailed, 0);
    CHECK_EQ(r->accepted, 1000);
    CHECK_EQ(r->srv_eof, 1000);
    CHECK_EQ(r->srv_bad, 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_accepted), 1000);
    CHECK_MSG(r->max_connect_us < 100000, "slowest connect %" PRId64 " us", r->max_connect_us);
    /* The flood went through the cookie path: the cache filled (256 = syn_backlog), and the
     * legitimate connections were (nearly all) rebuilt from cookies. */
    CHECK_EQ(r->max_half_open, 256);
    CHECK(cnt(s, SYNACK_C_tcp_syn_in) >= r->spoof_total + 1000);
    CHECK(cnt(s, SYNACK_C_tcp_syncookies_sent) >= r->spoof_total - 1000);
    CHECK(cnt(s, SYNACK_C_tcp_syncookies_ok) >= 990);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syncookies_bad_mac), 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syncookies_stale), 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syn_dropped), 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_drop_listen_overflow), 0);
    CHECK_EQ(cnt(s, SYNACK_C_tx_drop_queue_full), 0);
    /* Each spoofed SYN got a SYN-ACK (the cache's entries also their retransmissions), no RST. */
    CHECK_EQ(r->w.spoof_out_rst, 0);
    CHECK_EQ(r->w.spoof_out_synack, r->w.spoof_out);
    CHECK(r->w.spoof_out_synack >= r->spoof_total);
    /* Every spoofed half-open entry was retransmitted 5 times and reclaimed. */
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syncache_added),
             cnt(s, SYNACK_C_tcp_half_open_expired) + 1000 - cnt(s, SYNACK_C_tcp_syncookies_ok));
    CHECK_EQ(cnt(s, SYNACK_C_tcp_synack_rexmit), 5 * cnt(s, SYNACK_C_tcp_half_open_expired));
    check_mem_flat(r);
    CHECK_OK();
    /* The pressure is over: the next SYN goes to the cache again, not to a cookie. */
    {
        uint64_t added = cnt(s, SYNACK_C_tcp_syncache_added), cookies = cnt(s, SYNACK_C_tcp_syncookies_sent);
        int before_done = r->ndone;
        r->nlegit++;
        start_legit(r, r->nlegit - 1);
        r->started++;
        flood_world_flush(&r->w);
        for (int i = 0; i < 100000 && r->ndone == before_done && !r->nfailed; i++) {
            synack_time_us next = flood_world_next(&r->w);
            if (next == SYNACK_TIME_NEVER) break;
            flood_world_advance(&r->w, next);
            if (service(r)) flood_world_flush(&r->w);
        }
        CHECK_EQ(r->ndone, before_done + 1);
        CHECK_EQ(cnt(s, SYNACK_C_tcp_syncache_added), added + 1);
        CHECK_EQ(cnt(s, SYNACK_C_tcp_syncookies_sent), cookies);
    }
    /* Last, because a failure here says the data of cookie connections was delayed. */
    check_clean_exchanges(r);
}

TEST(flood_auto_1m_spoofed_1000_legit)
{
    static struct run r;
    memset(&r, 0, sizeof r);
    flood_auto(&r);
    run_free(&r);
}

/* Always mode: every SYN is answered with a cookie and nothing is kept, ever. */
static void flood_always(struct run *r)
{
    struct synack_stack *s;
    r->mode = SYNACK_SYNCOOKIES_ALWAYS;
    r->spoof_total = 100000;
    r->spoof_per_tick = 50;
    r->tick_us = 1000;
    r->nlegit = 200;
    r->legit_offset_us = 300;
    r->legit_every_us = 10000;
    r->settle_us = 5 * 1000000LL;
    r->nclients = 2;
    CHECK_MSG(run_flood(r) == 0, "setup failed or the run did not settle");
    s = r->w.srv;
    report("flood_always", r);
    CHECK_EQ(r->ndone, 200);
    CHECK_EQ(r->accepted, 200);
    CHECK_EQ(r->srv_eof, 200);
    CHECK_MSG(r->max_connect_us < 100000, "slowest connect %" PRId64 " us", r->max_connect_us);
    CHECK_EQ(r->max_half_open, 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syncache_added), 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_synack_rexmit), 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syncookies_sent), cnt(s, SYNACK_C_tcp_syn_in));
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syncookies_ok), 200);
    CHECK_EQ(r->w.spoof_out_synack, r->spoof_total);
    check_mem_flat(r);
    CHECK_OK();
    check_clean_exchanges(r);
}

TEST(flood_always_keeps_nothing)
{
    static struct run r;
    memset(&r, 0, sizeof r);
    flood_always(&r);
    run_free(&r);
}

/* Off mode: with the half-open queue full of spoofed entries, SYNs are dropped, and the
 * legitimate clients' connects time out after their SYN retries (about 127 s), while the
 * flood goes on (10,000 SYNs a second for 135 s). Then the flood stops and the pools return
 * to where they were. */
static void flood_off(struct run *r)
{
    struct synack_stack *s;
    r->mode = SYNACK_SYNCOOKIES_OFF;
    r->spoof_total = 1350000;
    r->spoof_per_tick = 100;
    r->tick_us = 10000;
    r->nlegit = 20;
    /* Starts at 0.5 s + k * 0.1 s: their SYNs (at +0, 1, 3, 7, 15, 31, 63 s) never fall in
     * the few milliseconds after a wave of spoofed entries expires (63 s after entering). */
    r->legit_offset_us = 500000;
    r->legit_every_us = 100000;
    r->settle_us = 75 * 1000000LL;
    r->nclients = 2;
    CHECK_MSG(run_flood(r) == 0, "setup failed or the run did not settle");
    s = r->w.srv;
    report("flood_off", r);
    CHECK_EQ(r->ndone, 0);
    CHECK_EQ(r->nfailed, 20);
    CHECK_EQ(r->accepted, 0);
    for (int i = 0; i < 20; i++) CHECK_EQ(r->lg[i].err, ETIMEDOUT);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syncookies_sent), 0);
    CHECK_EQ(cnt(s, SYNACK_C_tcp_accepted), 0);
    CHECK_EQ(r->max_half_open, 256);
    /* Every SYN that found the queue full was dropped, the 20 * 7 legitimate ones included. */
    CHECK_EQ(cnt(s, SYNACK_C_tcp_syn_dropped),
             cnt(s, SYNACK_C_tcp_syn_in) - cnt(s, SYNACK_C_tcp_syncache_added));
    CHECK(cnt(s, SYNACK_C_tcp_syn_dropped) >= r->spoof_total / 2);
    CHECK_EQ(r->w.spoof_out_rst, 0);
    check_mem_flat(r);
}

TEST(flood_off_legit_fail)
{
    static struct run r;
    memset(&r, 0, sizeof r);
    flood_off(&r);
    run_free(&r);
}
