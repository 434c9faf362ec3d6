// nfqc: the baseline C NFQUEUE consumer for bench/inline. Speaks nfnetlink_queue over a raw
// netlink socket exactly like native/src/nfq.cc (recvmmsg MSG_WAITFORONE batches, one VERDICT_BATCH of ACCEPT per
// received batch, flushed when the socket is drained), minus everything the addon does for JS.
// usage: nfqc QUEUE MAXLEN RCVBUF_BYTES BATCH SECONDS [NPKTS [BUSY_US]]   -> prints one JSON line at exit
// NPKTS -1 = no limit. BUSY_US > 0: busy poll like `quell run --busy-poll` (native/src/nfq.cc
// BusyPoll): while the last packet is less than BUSY_US old, MSG_DONTWAIT + sched_yield() instead of
// blocking, so bench/inline can compare quell and C with the same receive technique.
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/time.h>

#define SLOT (65536 + 1024)
#define NF_ACCEPT 1
static int fd;
static unsigned seqn;
static volatile sig_atomic_t stop;
static void onsig(int s) { (void)s; stop = 1; }

static size_t put_hdr(char *b, int type, int flags, int q) {
  struct nlmsghdr *h = (struct nlmsghdr *)b;
  h->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
  h->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type; h->nlmsg_flags = NLM_F_REQUEST | flags; h->nlmsg_seq = ++seqn; h->nlmsg_pid = 0;
  struct nfgenmsg *g = (struct nfgenmsg *)(b + NLMSG_HDRLEN); g->nfgen_family = AF_UNSPEC; g->version = NFNETLINK_V0; g->res_id = htons(q);
  return h->nlmsg_len;
}
static size_t put_attr(char *b, size_t len, int type, const void *p, int plen) {
  struct nlattr *a = (struct nlattr *)(b + len); a->nla_len = NLA_HDRLEN + plen; a->nla_type = type;
  memcpy(b + len + NLA_HDRLEN, p, plen); len += NLA_ALIGN(NLA_HDRLEN + plen);
  ((struct nlmsghdr *)b)->nlmsg_len = len; return len;
}
static void xsend(char *b, size_t len) {
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  if (sendto(fd, b, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) { perror("sendto"); }
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: nfqc QUEUE MAXLEN RCVBUF BATCH SECONDS [NPKTS]\n"); return 2; }
  int q = atoi(argv[1]); unsigned maxlen = atoi(argv[2]); int rcvbuf = atoi(argv[3]); int M = atoi(argv[4]);
  double secs = atof(argv[5]); long limit = argc > 6 ? atol(argv[6]) : -1;
  double busy = argc > 7 ? atof(argv[7]) / 1e6 : 0, lastPkt = 0;
  signal(SIGTERM, onsig); signal(SIGINT, onsig);
  fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  if (fd < 0) { perror("socket"); return 1; }
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  bind(fd, (struct sockaddr *)&sa, sizeof(sa));
  int one = 1; setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  char b[256]; size_t len;
  struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND};
  len = put_hdr(b, NFQNL_MSG_CONFIG, 0, q); len = put_attr(b, len, NFQA_CFG_CMD, &cmd, sizeof(cmd)); xsend(b, len);
  struct nfqnl_msg_config_params p = {.copy_range = htonl(0xffff), .copy_mode = NFQNL_COPY_PACKET};
  len = put_hdr(b, NFQNL_MSG_CONFIG, 0, q); len = put_attr(b, len, NFQA_CFG_PARAMS, &p, sizeof(p));
  unsigned ml = htonl(maxlen); len = put_attr(b, len, NFQA_CFG_QUEUE_MAXLEN, &ml, 4); xsend(b, len);
  unsigned fl = htonl(NFQA_CFG_F_GSO), mk = htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_CONNTRACK);
  len = put_hdr(b, NFQNL_MSG_CONFIG, 0, q); len = put_attr(b, len, NFQA_CFG_FLAGS, &fl, 4); len = put_attr(b, len, NFQA_CFG_MASK, &mk, 4); xsend(b, len);
  struct timeval tv = {0, 50000}; setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  fprintf(stderr, "nfqc: ready queue %d\n", q);
  char *buf = malloc((size_t)M * SLOT);
  struct mmsghdr *mm = calloc(M, sizeof(*mm)); struct iovec *iov = calloc(M, sizeof(*iov));
  for (int i = 0; i < M; i++) { iov[i].iov_base = buf + (size_t)i * SLOT; iov[i].iov_len = SLOT; mm[i].msg_hdr.msg_iov = &iov[i]; mm[i].msg_hdr.msg_iovlen = 1; }
  long pkts = 0, batches = 0; double t0 = now(), first = 0, last = 0;
  while (!stop && now() - t0 < secs && (limit < 0 || pkts < limit)) {
    int r = -1;
    if (busy > 0) {
      while (!stop && (r = recvmmsg(fd, mm, M, MSG_DONTWAIT, NULL)) <= 0 && now() - lastPkt < busy) sched_yield();
    }
    if (r <= 0) r = recvmmsg(fd, mm, M, MSG_WAITFORONE, NULL);   // blocks for the first (SO_RCVTIMEO 50 ms), never for more
    if (r <= 0) continue;
    unsigned lastId = 0; int n = 0;
    for (int i = 0; i < r; i++) {
      int rem = mm[i].msg_len;
      for (struct nlmsghdr *h = (struct nlmsghdr *)iov[i].iov_base; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
        if ((h->nlmsg_type & 0xff) != NFQNL_MSG_PACKET || (h->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE) continue;
        char *a = (char *)h + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)), *end = (char *)h + h->nlmsg_len;
        while (a + NLA_HDRLEN <= end) {
          struct nlattr *at = (struct nlattr *)a;
          if (at->nla_len < NLA_HDRLEN) break;
          if ((at->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR) { lastId = ntohl(((struct nfqnl_msg_packet_hdr *)(a + NLA_HDRLEN))->packet_id); n++; break; }
          a += NLA_ALIGN(at->nla_len);
        }
      }
    }
    if (n) {
      struct nfqnl_msg_verdict_hdr vh = {.verdict = htonl(NF_ACCEPT), .id = htonl(lastId)};
      len = put_hdr(b, NFQNL_MSG_VERDICT_BATCH, 0, q); len = put_attr(b, len, NFQA_VERDICT_HDR, &vh, sizeof(vh)); xsend(b, len);
      if (!pkts) first = now();
      last = now(); pkts += n; batches++; lastPkt = last;
    }
  }
  struct nfqnl_msg_config_cmd un = {.command = NFQNL_CFG_CMD_UNBIND};
  len = put_hdr(b, NFQNL_MSG_CONFIG, 0, q); len = put_attr(b, len, NFQA_CFG_CMD, &un, sizeof(un)); xsend(b, len);
  struct rusage ru; getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("{\"packets\":%ld,\"batches\":%ld,\"first\":%.6f,\"last\":%.6f,\"cpu_s\":%.4f}\n", pkts, batches, first, last, cpu);
  return 0;
}
