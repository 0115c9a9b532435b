/* End-to-end: two stacks over the in-memory link, the seed text's exchanges. */
#include <stdlib.h>
#include "../harness/test.h"
#include "../harness/net.h"

struct ev { struct synack_stack *st; int fd, mask; };
static int has_ev(void *p) { struct ev *e = p; return (synack_sock_events(e->st, e->fd) & e->mask) != 0; }

TEST(e2e_handshake_data_close)
{
    struct net n;
    char buf[512];
    int ls, cs, as, val;
    CHECK(net_init(&n, NULL, NULL) == 0);
    ls = synack_socket(n.s, SYNACK_SOCK_STREAM);
    CHECK(ls >= 0);
    CHECK_EQ(synack_bind(n.s, ls, 0, 80), 0);
    CHECK_EQ(synack_listen(n.s, ls, 8), 0);
    cs = synack_socket(n.c, SYNACK_SOCK_STREAM);
    CHECK_EQ(synack_connect(n.c, cs, NET_SERVER_ADDR, 80), -1);
    CHECK(net_run(&n, 5000000, has_ev, &(struct ev){n.c, cs, SYNACK_EV_OUT}));
    CHECK_EQ(synack_getsockopt(n.c, cs, SYNACK_SO_ERROR, &val), 0);
    CHECK_EQ(val, 0);
    CHECK(net_run(&n, 5000000, has_ev, &(struct ev){n.s, ls, SYNACK_EV_IN}));
    as = synack_accept(n.s, ls, NULL, NULL);
    CHECK(as >= 0);
    CHECK_EQ(synack_send(n.c, cs, "hello", 5), 5);
    CHECK(net_run(&n, 5000000, has_ev, &(struct ev){n.s, as, SYNACK_EV_IN}));
    CHECK_EQ(synack_recv(n.s, as, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(synack_close(n.c, cs), 0);
    CHECK(net_run(&n, 5000000, has_ev, &(struct ev){n.s, as, SYNACK_EV_RDHUP}));
    CHECK_EQ(synack_recv(n.s, as, buf, sizeof buf), 0);
    CHECK_EQ(synack_close(n.s, as), 0);
    net_run(&n, 120000000, NULL, NULL);
    CHECK_STR(net_states(&n.ctr, cs, buf, sizeof buf),
              "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    CHECK_STR(net_states(&n.str, as, buf, sizeof buf),
              "CLOSED SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    CHECK_EQ(synack_close(n.s, ls), 0);
    CHECK(net_pools_empty(n.c));
    CHECK(net_pools_empty(n.s));
    net_free(&n);
}

/* Regression (found by the live flood test): a connection freed while on the output list, and
 * its slot reused before the next synack_poll(), must not cut the list: a connection queued
 * behind it must still send. One stack, segments crafted by hand, no poll inside the batch. */
#include "core/wire.h"
#define RX_SRV 0x0a4d0002u
#define RX_CLI 0x0a4d0001u
struct rx { struct synack_stack *st; synack_time_us now; uint32_t last_seq[2048]; int data_out[2048]; };
static void rx_emit(void *ctx, const uint8_t *p, size_t len)
{
    struct rx *r = ctx;
    struct ip4_view ip;
    struct tcp_view tv;
    if (ip4_parse(p, len, &ip) || tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &tv)) return;
    if (tv.dport >= 2048) return;
    r->last_seq[tv.dport] = tv.seq;
    if (tv.payload_len || (tv.flags & (SYNACK_SYN | SYNACK_FIN))) r->data_out[tv.dport]++;
}
static void rx_seg(struct rx *r, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack, const char *data)
{
    uint8_t p[256];
    struct tcp_opts o;
    size_t n, dl = data ? strlen(data) : 0;
    memset(&o, 0, sizeof o);
    n = tcp_emit(p + 20, RX_CLI, RX_SRV, sport, 80, seq, ack, flags, 65535, &o, (const uint8_t *)data, dl);
    ip4_emit(p, RX_CLI, RX_SRV, IP4_PROTO_TCP, (uint16_t)n, 1, 64);
    synack_input(r->st, r->now, p, 20 + n);
}
static void rx_poll(struct rx *r) { synack_poll(r->st, r->now, rx_emit, r); }

TEST(e2e_freed_slot_on_output_list_keeps_the_rest)
{
    static struct rx r;
    struct synack_config cfg;
    uint32_t iss[3];
    int l, x = -1, y = -1, before;
    memset(&r, 0, sizeof r);
    synack_config_default(&cfg);
    cfg.addr = RX_SRV;
    cfg.timestamps = 0;
    cfg.window_scaling = 0;
    CHECK_EQ(synack_stack_new(&cfg, &r.st), 0);
    r.now = 1000000;
    l = synack_socket(r.st, SYNACK_SOCK_STREAM);
    CHECK_EQ(synack_bind(r.st, l, 0, 80), 0);
    CHECK_EQ(synack_listen(r.st, l, 16), 0);
    for (uint16_t p = 1000; p <= 1001; p++) {          /* X = 1000, Y = 1001: established */
        rx_seg(&r, p, SYNACK_SYN, 100, 0, NULL); rx_poll(&r); iss[p - 1000] = r.last_seq[p];
        rx_seg(&r, p, SYNACK_ACK, 101, iss[p - 1000] + 1, NULL); rx_poll(&r);
    }
    for (int i = 0; i < 2; i++) {
        uint16_t port;
        int h = synack_accept(r.st, l, NULL, &port);
        CHECK(h >= 0);
        if (port == 1000) x = h; else y = h;
    }
    rx_seg(&r, 1000, SYNACK_FIN | SYNACK_ACK, 101, iss[0] + 1, NULL); rx_poll(&r);
    CHECK_EQ(synack_close(r.st, x), 0); rx_poll(&r);   /* X: LAST_ACK, FIN sent */
    rx_seg(&r, 1002, SYNACK_SYN, 500, 0, NULL); rx_poll(&r); iss[2] = r.last_seq[1002];
    /* One batch without a poll: Y gets output pending; X's FIN is acked (X freed while on the
     * list); the final ACK of 1002 makes a connection that reuses X's slot. */
    r.now += 1000;
    rx_seg(&r, 1001, SYNACK_PSH | SYNACK_ACK, 101, iss[1] + 1, "hello");
    CHECK_EQ(synack_send(r.st, y, "world", 5), 5);
    rx_seg(&r, 1000, SYNACK_ACK, 102, iss[0] + 2, NULL);
    rx_seg(&r, 1002, SYNACK_ACK, 501, iss[2] + 1, NULL);
    CHECK_EQ(synack_accept(r.st, l, NULL, NULL), x);  /* the same slot, reused */
    before = r.data_out[1001];
    rx_poll(&r);
    CHECK_MSG(r.data_out[1001] > before, "Y sent nothing after the batch: the output list was cut");
    synack_stack_free(r.st);
}

/* shutdown(SHUT_RD) as in Linux: queued data and data arriving later stay readable; with
 * nothing queued, recv() returns 0 (not EAGAIN); the connection itself goes on. */
TEST(e2e_shutdown_rd_like_linux)
{
    struct net n;
    char buf[64];
    int ls, cs, as;
    CHECK(net_init(&n, NULL, NULL) == 0);
    ls = synack_socket(n.s, SYNACK_SOCK_STREAM);
    CHECK_EQ(synack_bind(n.s, ls, 0, 80), 0);
    CHECK_EQ(synack_listen(n.s, ls, 8), 0);
    cs = synack_socket(n.c, SYNACK_SOCK_STREAM);
    synack_connect(n.c, cs, NET_SERVER_ADDR, 80);
    CHECK(net_run(&n, 5000000, has_ev, &(struct ev){n.s, ls, SYNACK_EV_IN}));
    as = synack_accept(n.s, ls, NULL, NULL);
    CHECK(as >= 0);
    CHECK_EQ(synack_send(n.c, cs, "before", 6), 6);
    CHECK(net_run(&n, 5000000, has_ev, &(struct ev){n.s, as, SYNACK_EV_IN}));
    CHECK_EQ(synack_shutdown(n.s, as, SYNACK_SHUT_RD), 0);
    CHECK_EQ(synack_recv(n.s, as, buf, sizeof buf), 6);          /* queued data survives */
    CHECK(!memcmp(buf, "before", 6));
    CHECK_EQ(synack_recv(n.s, as, buf, sizeof buf), 0);          /* nothing queued: 0 */
    CHECK_EQ(synack_send(n.c, cs, "after", 5), 5);
    net_run(&n, 100000, NULL, NULL);
    CHECK_EQ(synack_recv(n.s, as, buf, sizeof buf), 5);          /* arriving data too */
    CHECK(!memcmp(buf, "after", 5));
    CHECK_EQ(synack_send(n.s, as, "reply", 5), 5);               /* the write side is open */
    CHECK(net_run(&n, 5000000, has_ev, &(struct ev){n.c, cs, SYNACK_EV_IN}));
    CHECK_EQ(synack_recv(n.c, cs, buf, sizeof buf), 5);
    CHECK_EQ(synack_close(n.c, cs), 0);
    CHECK_EQ(synack_close(n.s, as), 0);
    CHECK_EQ(synack_close(n.s, ls), 0);
    net_run(&n, 200000000, NULL, NULL);
    CHECK(net_pools_empty(n.c));
    CHECK(net_pools_empty(n.s));
    net_free(&n);
}
