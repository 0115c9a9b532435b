/* Bulk transfers between two stacks over the in-memory link, in virtual time.
 *
 * xfer_run() builds a client and a server stack on a link impaired as asked, connects them,
 * moves a deterministic pseudo-random byte stream each way (both at once, or client->server
 * first and server->client after the client's half-close), checks every received byte against
 * the regenerated stream and a 64-bit hash of what was sent, closes both sides, runs virtual
 * time until both connections are CLOSED (past 2*MSL for the side in TIME_WAIT) and nothing is
 * pending, and reports what happened: times, counters, state sequences, pool usage. It does not
 * assert anything itself except that the run completed; the caller checks the result.
 *
 * The event loop: after every synack_sim_step() each side pushes as much as synack_send()
 * accepts and reads all synack_recv() gives (in sizes drawn from a PRNG so that partial reads
 * and writes happen); the socket calls mark the stacks dirty, so the next step polls them.
 *
 * Also checked on the way: every packet the stacks emit has correct IPv4 and TCP checksums
 * (a link tap with its own RFC 1071 sum), and the segment trace counts data sent again below
 * the highest sequence already sent (retransmissions, independent of the stack's counters).
 * Diagnosis: XFER_TRACE=path writes one line per segment of the run (time, side, direction,
 * flags, seq and ack relative to ISS/IRS, length, raw window, TSval/TSecr) with RTO,
 * FAST REXMIT and PAWS DROP markers; on failure res->err holds a dump of both sides. */
#ifndef SYNACK_TEST_XFER_H
#define SYNACK_TEST_XFER_H
#include <stddef.h>
#include <stdint.h>
#include "synack/synack.h"

/* ---- the data stream and the hash ---- */

/* Bytes [off, off+n) of the stream named by seed (random access: word k of the stream is a
 * function of seed and k only). */
void xfer_fill(uint64_t seed, uint64_t off, uint8_t *p, size_t n);

/* A streaming 64-bit hash (not cryptographic; order- and length-sensitive). */
struct xhash { uint64_t h, len; uint8_t buf[8]; unsigned nbuf; };
void xhash_init(struct xhash *x);
void xhash_update(struct xhash *x, const uint8_t *p, size_t n);
uint64_t xhash_final(const struct xhash *x);

/* ---- transfers ---- */

struct xfer_cfg {
    uint64_t seed;                  /* link PRNG, data streams, chunk sizes, stack secrets */
    double loss, dup, reorder;      /* link impairment probabilities */
    synack_time_us delay_us;        /* one-way delay (0: 1 ms) */
    synack_time_us jitter_us;
    uint64_t bytes[2];              /* [0] client->server, [1] server->client */
    int sequential;                 /* 1: the server sends only after the client's EOF */
    synack_time_us data_limit_us;   /* virtual time allowed from connect to all data in */
    synack_time_us stall_us;        /* no byte delivered for this long = stall (0: 120 s) */
    /* optional: edit each stack's config (is_server 0 or 1) */
    void (*adjust)(struct synack_config *cfg, int is_server);
};

#define XFER_MAX_TRANS 32

struct xfer_side {
    uint64_t sent, rcvd;            /* bytes accepted by send, bytes returned by recv */
    uint64_t hash_sent, hash_rcvd, hash_expected; /* of sent, received, regenerated stream */
    int eof;                        /* recv returned 0 */
    /* state transitions of the connection (not the listener, not a half-open entry traced
     * with conn -1, which are only counted) */
    int ntrans, half_open_trans;
    struct { int from, to; synack_time_us at; const char *ev; } tr[XFER_MAX_TRANS];
    char states[320];               /* "CLOSED SYN_SENT ESTABLISHED ..." */
    synack_time_us time_wait_us;    /* time spent in TIME_WAIT (-1: never entered) */
    synack_time_us closed_at;       /* time CLOSED was reached (-1: never) */
    synack_time_us first_rst_out;   /* time the first RST was sent (-1: never) */
    uint64_t counters[SYNACK_NCOUNTERS];
    struct synack_mem_stats mem;    /* at the end, after the sockets are gone */
    synack_time_us poll_at;         /* synack_poll_at() at the end (NEVER expected) */
    synack_time_us msl_us;
    /* from the segment trace: what the side sent and what it heard (relative sequence numbers:
     * offsets from ISS / IRS), to locate a stall */
    uint32_t iss, irs;
    uint32_t out_max_seq, out_last_ack, in_max_ack, in_last_wnd;
    uint8_t ws_in;
    uint64_t segs_out, segs_in, data_segs_out;
    uint64_t rexmit_segs_out, rexmit_bytes_out; /* data segments (bytes) sent below the highest
                                                   sequence already sent */
};

struct xfer_result {
    int ok;                         /* 1: completed, every byte and hash matched */
    char err[2048];                 /* otherwise: what went wrong, with a state dump */
    synack_time_us t_start, t_connected, t_data_done, t_closed, t_end; /* virtual */
    double real_s;                  /* real time of the run */
    struct xfer_side side[2];       /* [0] client, [1] server */
    uint64_t link_sent, link_delivered, link_lost, link_duplicated, link_reordered;
    uint64_t bad_packets;           /* emitted with a bad IPv4 or TCP checksum (link tap) */
};

/* Runs one transfer; returns res->ok. */
int xfer_run(const struct xfer_cfg *cfg, struct xfer_result *res);
/* One line: seed, virtual times, real time, rexmits. */
void xfer_summary(const struct xfer_cfg *cfg, const struct xfer_result *res, char *buf, size_t len);
#endif
