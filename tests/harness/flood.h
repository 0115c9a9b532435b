/* Helpers for SYN-flood and SYN-cookie tests (issue 4): crafting raw IPv4/TCP segments,
 * capturing and parsing what a stack emits, and a small virtual-time world in which a server
 * stack is flooded with spoofed SYNs (fed straight to synack_input) while real client stacks
 * talk to it over an in-memory link. The server's replies to the spoofed range are discarded
 * (counted) instead of routed, as a blackhole route would. */
#ifndef SYNACK_TEST_FLOOD_H
#define SYNACK_TEST_FLOOD_H
#include <stddef.h>
#include <stdint.h>
#include "synack/synack.h"
#include "synack/link.h"
#include "core/wire.h"

#define FLOOD_SPOOF_NET 0x0a4e0000u  /* 10.78.0.0/16: spoofed sources */
#define FLOOD_SPOOF_MASK 0xffff0000u
#define FLOOD_SERVER_ADDR 0x0a4d0002u /* 10.77.0.2 */
#define FLOOD_CLIENT_ADDR(i) (0x0a4d0100u + 1u + (uint32_t)(i)) /* 10.77.1.1 ... */
#define FLOOD_MAX_CLIENTS 16

/* splitmix64: a small deterministic generator for addresses, ports and ISNs. */
static inline uint64_t flood_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Writes an IPv4+TCP segment into buf (at least 20 + 60 + plen bytes); returns its length. */
size_t flood_craft(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                   uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                   const struct tcp_opts *o, const void *payload, size_t plen);

/* Options of a typical Linux SYN: MSS 1460, SACK-permitted, TS (tsval), WS 7. */
void flood_linux_syn_opts(struct tcp_opts *o, uint32_t tsval);

/* A spoofed SYN from a random source in 10.78.0.0/16 to dst:dport with a random port and ISN;
 * half carry Linux-like options, the rest an MSS only. Returns the packet length. */
size_t flood_spoofed_syn(uint8_t *buf, uint64_t *rng, uint32_t dst, uint16_t dport);

/* Packets captured from a stack's synack_poll (copied). */
#define FLOOD_CAP_MAX 64
struct flood_cap {
    int n;
    uint64_t total;           /* all packets seen, also past FLOOD_CAP_MAX */
    struct { uint8_t data[1600]; size_t len; synack_time_us at; } p[FLOOD_CAP_MAX];
    synack_time_us now;       /* stamped on captured packets */
};
void flood_cap_emit(void *cap, const uint8_t *pkt, size_t len);
/* Parses captured packet i (IPv4 + TCP); returns 0 or -1. */
int flood_cap_parse(const struct flood_cap *c, int i, struct ip4_view *ip, struct tcp_view *tv);

/* ---- the flood world ---- */
struct flood_world {
    struct synack_memlink *link;
    struct synack_stack *srv;
    struct synack_stack *cli[FLOOD_MAX_CLIENTS];
    int ncli;
    synack_time_us now;
    uint64_t rng;
    uint64_t spoof_in;         /* spoofed SYNs fed to the server */
    uint64_t spoof_out;        /* server packets to the spoofed range, discarded */
    uint64_t spoof_out_synack; /* ... of which SYN-ACKs */
    uint64_t spoof_out_rst;    /* ... of which RSTs */
};
/* Creates a server (FLOOD_SERVER_ADDR) and ncli clients on a memlink (1 ms delay, no
 * impairment). adjust(cfg, is_server) may change each config. Returns 0 or -1. */
int flood_world_init(struct flood_world *w, int ncli, uint64_t seed,
                     void (*adjust)(struct synack_config *cfg, int is_server));
void flood_world_free(struct flood_world *w);
/* The earliest of the link's next arrival and every stack's synack_poll_at(). */
synack_time_us flood_world_next(struct flood_world *w);
/* Moves time to t (never backwards), delivers due packets and polls due stacks. */
void flood_world_advance(struct flood_world *w, synack_time_us t);
/* Polls every stack now (after socket calls). */
void flood_world_flush(struct flood_world *w);
/* Feeds n spoofed SYNs to the server at the current time (no poll). */
void flood_world_spoof(struct flood_world *w, unsigned n, uint16_t dport);
#endif
