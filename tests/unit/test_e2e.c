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
