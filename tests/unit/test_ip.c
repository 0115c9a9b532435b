/* IPv4 input checks, ICMP echo, ICMP port-unreachable (and its rate limit), UDP sockets, and
 * the socket API's answers to bad arguments. One stack, packets crafted by hand. */
#include <errno.h>
#include <stdlib.h>
#include "../harness/test.h"
#include "synack/synack.h"
#include "synack/socket.h"
#include "core/wire.h"

#define US 0x0a4d0002u   /* the stack */
#define PEER 0x0a4d0001u

struct cap { int n; uint8_t pkt[64][1600]; size_t len[64]; };
static void cap_emit(void *ctx, const uint8_t *p, size_t len)
{
    struct cap *c = ctx;
    if (c->n < 64 && len <= 1600) { memcpy(c->pkt[c->n], p, len); c->len[c->n] = len; c->n++; }
}

static struct synack_stack *mk(void)
{
    struct synack_config cfg;
    struct synack_stack *st = NULL;
    synack_config_default(&cfg);
    cfg.addr = US;
    if (synack_stack_new(&cfg, &st)) return NULL;
    return st;
}

static size_t mk_icmp_echo(uint8_t *b, uint16_t id, uint16_t seq, const char *data)
{
    size_t n = icmp_emit(b + 20, ICMP_ECHO, 0, (uint32_t)id << 16 | seq, (const uint8_t *)data, strlen(data));
    ip4_emit(b, PEER, US, IP4_PROTO_ICMP, (uint16_t)n, 7, 64);
    return 20 + n;
}

static size_t mk_udp(uint8_t *b, uint16_t sport, uint16_t dport, const char *data)
{
    size_t n = udp_emit(b + 20, PEER, US, sport, dport, (const uint8_t *)data, strlen(data));
    ip4_emit(b, PEER, US, IP4_PROTO_UDP, (uint16_t)n, 9, 64);
    return 20 + n;
}

TEST(ip_echo_reply)
{
    struct synack_stack *st = mk();
    struct cap *c = calloc(1, sizeof *c);
    uint8_t b[200];
    struct ip4_view ip;
    struct icmp_view iv;
    size_t n = mk_icmp_echo(b, 0x1234, 7, "ping-data");
    synack_input(st, 1000, b, n);
    synack_poll(st, 1000, cap_emit, c);
    CHECK_EQ(c->n, 1);
    CHECK_EQ(ip4_parse(c->pkt[0], c->len[0], &ip), WIRE_OK);
    CHECK_EQ(ip.src, US);
    CHECK_EQ(ip.dst, PEER);
    CHECK_EQ(icmp_parse(ip.payload, ip.payload_len, &iv), WIRE_OK);
    CHECK_EQ(iv.type, ICMP_ECHO_REPLY);
    CHECK_EQ(iv.rest, 0x12340007u);
    CHECK(iv.body_len == 9 && !memcmp(iv.body, "ping-data", 9));
    CHECK_EQ(synack_counter_get(st, SYNACK_C_icmp_echo_replies), 1);
    free(c);
    synack_stack_free(st);
}

TEST(ip_bad_input_dropped_and_counted)
{
    struct synack_stack *st = mk();
    struct cap *c = calloc(1, sizeof *c);
    uint8_t b[200];
    size_t n = mk_icmp_echo(b, 1, 1, "x");
    uint8_t bad[200];
    memcpy(bad, b, n); bad[10] ^= 1;                        /* header checksum */
    synack_input(st, 1, bad, n);
    memcpy(bad, b, n); bad[0] = 0x65;                       /* version 6 */
    synack_input(st, 1, bad, n);
    memcpy(bad, b, n); bad[6] = 0x20; bad[10] = bad[11] = 0; /* MF: a fragment */
    wr16(bad + 10, csum_fold(csum_partial(bad, 20, 0)));
    synack_input(st, 1, bad, n);
    synack_input(st, 1, b, 10);                             /* short */
    synack_input(st, 1, NULL, 0);
    memcpy(bad, b, n); wr32(bad + 16, 0x0a4d0063); bad[10] = bad[11] = 0;
    wr16(bad + 10, csum_fold(csum_partial(bad, 20, 0)));
    synack_input(st, 1, bad, n);                            /* not our address */
    synack_poll(st, 1, cap_emit, c);
    CHECK_EQ(c->n, 0);
    CHECK_EQ(synack_counter_get(st, SYNACK_C_ip_drop_checksum), 1);
    CHECK_EQ(synack_counter_get(st, SYNACK_C_ip_drop_version), 1);
    CHECK_EQ(synack_counter_get(st, SYNACK_C_ip_drop_fragment), 1);
    CHECK_EQ(synack_counter_get(st, SYNACK_C_ip_drop_short), 2);
    CHECK_EQ(synack_counter_get(st, SYNACK_C_ip_drop_not_ours), 1);
    free(c);
    synack_stack_free(st);
}

TEST(ip_udp_closed_port_icmp_unreachable)
{
    struct synack_stack *st = mk();
    struct cap *c = calloc(1, sizeof *c);
    uint8_t b[200];
    struct ip4_view ip, inner;
    struct icmp_view iv;
    size_t n = mk_udp(b, 5555, 9999, "hello?");
    synack_input(st, 1000, b, n);
    synack_poll(st, 1000, cap_emit, c);
    CHECK_EQ(c->n, 1);
    CHECK_EQ(ip4_parse(c->pkt[0], c->len[0], &ip), WIRE_OK);
    CHECK_EQ(ip.proto, IP4_PROTO_ICMP);
    CHECK_EQ(icmp_parse(ip.payload, ip.payload_len, &iv), WIRE_OK);
    CHECK_EQ(iv.type, ICMP_DEST_UNREACH);       /* type 3 */
    CHECK_EQ(iv.code, ICMP_CODE_PORT_UNREACH);  /* code 3 */
    /* RFC 792: the original IP header and at least 8 bytes of its data are quoted. */
    CHECK(iv.body_len >= 28);
    CHECK(!memcmp(iv.body, b, 28));
    CHECK_EQ(ip4_parse(iv.body, iv.body_len, &inner), WIRE_OK);
    CHECK_EQ(synack_counter_get(st, SYNACK_C_icmp_unreach_sent), 1);
    free(c);
    synack_stack_free(st);
}

TEST(ip_icmp_unreachable_rate_limited)
{
    struct synack_stack *st = mk();
    struct cap *c = calloc(1, sizeof *c);
    uint8_t b[200];
    size_t n = mk_udp(b, 5555, 9999, "x");
    int sent1, sent2;
    /* 200 datagrams in the same instant: at most the burst (50 at 100/s) are answered. */
    for (int i = 0; i < 200; i++) synack_input(st, 1000000, b, n);
    sent1 = (int)synack_counter_get(st, SYNACK_C_icmp_unreach_sent);
    CHECK(sent1 >= 1 && sent1 <= 50);
    CHECK_EQ(synack_counter_get(st, SYNACK_C_icmp_unreach_ratelimited), 200 - sent1);
    synack_poll(st, 1000000, NULL, NULL);
    /* One second later the bucket has refilled to 100 tokens, capped at the burst. */
    for (int i = 0; i < 200; i++) synack_input(st, 2000000, b, n);
    sent2 = (int)synack_counter_get(st, SYNACK_C_icmp_unreach_sent) - sent1;
    CHECK(sent2 >= 1 && sent2 <= 50);
    free(c);
    synack_stack_free(st);
}

TEST(ip_udp_socket_roundtrip)
{
    struct synack_stack *st = mk();
    struct cap *c = calloc(1, sizeof *c);
    uint8_t b[200];
    char buf[64];
    uint32_t addr;
    uint16_t port;
    struct ip4_view ip;
    struct udp_view uv;
    int s = synack_socket(st, SYNACK_SOCK_DGRAM);
    CHECK(s >= 0);
    CHECK_EQ(synack_bind(st, s, 0, 9999), 0);
    CHECK_EQ(synack_recvfrom(st, s, buf, sizeof buf, &addr, &port), -1);
    CHECK_EQ(errno, EAGAIN);
    synack_input(st, 1, b, mk_udp(b, 5555, 9999, "datagram"));
    CHECK_EQ(synack_sock_events(st, s) & SYNACK_EV_IN, SYNACK_EV_IN);
    CHECK_EQ(synack_recvfrom(st, s, buf, sizeof buf, &addr, &port), 8);
    CHECK(!memcmp(buf, "datagram", 8));
    CHECK_EQ(addr, PEER);
    CHECK_EQ(port, 5555);
    CHECK_EQ(synack_sendto(st, s, "reply", 5, PEER, 5555), 5);
    synack_poll(st, 2, cap_emit, c);
    CHECK_EQ(c->n, 1);
    CHECK_EQ(ip4_parse(c->pkt[0], c->len[0], &ip), WIRE_OK);
    CHECK_EQ(udp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &uv), WIRE_OK);
    CHECK_EQ(uv.sport, 9999);
    CHECK_EQ(uv.dport, 5555);
    CHECK(uv.payload_len == 5 && !memcmp(uv.payload, "reply", 5));
    /* A second socket cannot take the port. */
    {
        int s2 = synack_socket(st, SYNACK_SOCK_DGRAM);
        CHECK_EQ(synack_bind(st, s2, 0, 9999), -1);
        CHECK_EQ(errno, EADDRINUSE);
        CHECK_EQ(synack_close(st, s2), 0);
    }
    CHECK_EQ(synack_close(st, s), 0);
    free(c);
    synack_stack_free(st);
}

TEST(api_bad_arguments)
{
    struct synack_stack *st = mk();
    char buf[8];
    int s, l;
    CHECK_EQ(synack_socket(st, 99), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(synack_send(st, -1, "x", 1), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(synack_recv(st, 12345, buf, 1), -1);
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(synack_close(st, 3), -1);                   /* never opened */
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(synack_sock_events(st, 7), -1);
    s = synack_socket(st, SYNACK_SOCK_STREAM);
    CHECK(s >= 0);
    CHECK_EQ(synack_bind(st, s, 0x01020304, 80), -1);     /* not our address */
    CHECK_EQ(errno, EADDRNOTAVAIL);
    CHECK_EQ(synack_send(st, s, "x", 1), -1);
    CHECK_EQ(errno, ENOTCONN);
    CHECK_EQ(synack_recv(st, s, buf, 1), -1);
    CHECK_EQ(errno, ENOTCONN);
    CHECK_EQ(synack_accept(st, s, NULL, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(synack_shutdown(st, s, 7), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(synack_shutdown(st, s, SYNACK_SHUT_WR), -1);
    CHECK_EQ(errno, ENOTCONN);
    CHECK_EQ(synack_connect(st, s, 0, 80), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(synack_connect(st, s, PEER, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(synack_getsockopt(st, s, SYNACK_SO_ERROR, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(synack_getsockopt(st, s, 9999, (int[1]){0}), -1);
    CHECK_EQ(synack_setsockopt(st, s, SYNACK_TCP_MAXSEG, 10), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(synack_send(st, s, NULL, 5), -1);
    CHECK_EQ(synack_bind(st, s, 0, 8080), 0);
    CHECK_EQ(synack_bind(st, s, 0, 8081), -1);            /* already bound */
    CHECK_EQ(errno, EINVAL);
    l = synack_socket(st, SYNACK_SOCK_STREAM);
    CHECK_EQ(synack_bind(st, l, 0, 8080), -1);
    CHECK_EQ(errno, EADDRINUSE);
    CHECK_EQ(synack_listen(st, s, 0), 0);
    CHECK_EQ(synack_accept(st, s, NULL, NULL), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(synack_connect(st, s, PEER, 80), -1);
    CHECK_EQ(errno, EISCONN);
    CHECK_EQ(synack_close(st, s), 0);
    CHECK_EQ(synack_close(st, s), -1);                    /* twice */
    CHECK_EQ(errno, EBADF);
    CHECK_EQ(synack_close(st, l), 0);
    /* Exhaustion: EMFILE, never a crash. */
    {
        struct synack_config cfg;
        struct synack_stack *small;
        int n = 0;
        synack_config_default(&cfg);
        cfg.addr = US;
        cfg.max_sockets = 4;
        CHECK_EQ(synack_stack_new(&cfg, &small), 0);
        while (synack_socket(small, SYNACK_SOCK_STREAM) >= 0) n++;
        CHECK_EQ(n, 4);
        CHECK_EQ(errno, EMFILE);
        synack_stack_free(small);
    }
    {
        struct synack_config cfg;
        struct synack_stack *bad = NULL;
        synack_config_default(&cfg);
        cfg.mtu = 20;
        CHECK(synack_stack_new(&cfg, &bad) < 0);
        CHECK(synack_stack_new(NULL, &bad) < 0);
        CHECK(bad == NULL);
    }
    synack_stack_free(st);
}
