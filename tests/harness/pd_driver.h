/* A tiny packetdrill stand-in for CI: loads build/libsynack-packetdrill.so with dlopen, calls
 * packetdrill_interface_init and plays packet scripts through the interface.
 *
 * The .so is found through $SYNACK_PD_SO, else next to the running test binary (build/ or
 * build/san/), else as build/libsynack-packetdrill.so from the current directory.
 *
 * Script lines (one event each; blank lines and lines starting with # are ignored):
 *   [TIME] < FLAGS SEQ:END(LEN) [ack N] [win N] [<OPTIONS>]   inject a segment
 *   [TIME] > FLAGS SEQ:END(LEN) [ack N] [win N] [<OPTIONS>]   the next segment sent must match
 *   [TIME] > none                 nothing is queued now (timers due now have run)
 *   [TIME] sleep                  let time pass (usleep)
 * TIME is +SECONDS after the previous event's actual time (default +0), or * for "any time"
 * (outbound only). FLAGS: S F R P and . for ACK, e.g. "S." or "F.". As in packetdrill, the
 * remote side's sequence numbers are absolute and ours are relative to our ISN (learned from
 * the first SYN we send), so "> S. 0:0(0) ack 1" matches any SYN-ACK to a SYN at 0; inbound
 * "ack N" means our ISN + N. Inbound segments carry win 65535 unless told. OPTIONS: mss N, nop,
 * eol, sackOK, wscale N, TS val N ecr N, or "..." (any options). Outbound options are checked
 * only when written (TS val is never compared). Packets go from d->raddr:d->rport to
 * d->laddr:d->lport; lport 0 is learned from the first segment we send. */
#ifndef SYNACK_PD_DRIVER_H
#define SYNACK_PD_DRIVER_H
#include <stdint.h>
#include "packetdrill/pd_interface.h"

struct pdd {
    void *dl;
    struct packetdrill_interface ifc;
    void *ud;
    synack_pd_pending_t pending;
    synack_pd_handle_t handle;
    synack_pd_stack_t stack;
    uint64_t (*counter_get)(const struct synack_stack *st, int counter);
    int (*sock_getsockopt)(struct synack_stack *st, int s, int opt, int *val);
    long long last;             /* actual time of the previous event, us */
    long long tolerance;        /* us */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint32_t local_isn;
    int have_isn;
    int line;                   /* script line of the last error */
    char err[1024];
};

/* 0, or -1 with the reason in d->err. flags: the --so_flags string (may be NULL). */
int pdd_open(struct pdd *d, const char *flags);
void pdd_close(struct pdd *d);
/* Plays a script; 0, or -1 with "line N: reason" in d->err. */
int pdd_play(struct pdd *d, const char *script);
/* The adapter's clock, microseconds. */
long long pdd_now(struct pdd *d);
/* Starts a new connection: other remote port, ISN and local port forgotten. */
void pdd_new_conn(struct pdd *d, uint16_t rport, uint16_t lport);
/* The stack's TCP state (enum synack_tcp_state) of a descriptor, or -1. */
int pdd_state(struct pdd *d, int fd);
/* A stack counter by enum synack_counter value. */
uint64_t pdd_counter(struct pdd *d, int counter);
#endif
