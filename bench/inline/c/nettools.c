// nettools: bounded traffic tools for bench/inline (all exit by themselves).
//   nettools udpsend HOST PORT SIZE COUNT                 sendmmsg bursts of 64, unpaced; {"sent":N}
//   nettools udprecv PORT SECONDS IDLE_MS                 {"received":N,"first":t,"last":t} (CLOCK_MONOTONIC s)
//   nettools echo PORT SECONDS                            UDP echo server
//   nettools rtt HOST PORT COUNT GAP_US                   sequential request/response; {"n":..,"p50_us":..,"p99_us":..}
//   nettools echon SECONDS PORT...                        UDP echo server on several ports (one poll set)
//   nettools rttn HOST COUNT GAP_US BLOCK PORT...         like rtt over several ports in turn, BLOCK requests to
//                                                         each port before the next (BLOCK 1: request by request),
//                                                         so every port's samples interleave in time; COUNT per port;
//                                                         {"ports":[{"port":..,"n":..,"p50_us":..,"p99_us":..},..]}
//   nettools tcpsink PORT SECONDS                         accept one connection, count bytes; {"bytes":N,"secs":s}
//   nettools tcpsend HOST PORT SECONDS                    write 256 KiB chunks for SECONDS; {"bytes":N}
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static struct sockaddr_in addr(const char *h, int port) { struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)}; inet_pton(AF_INET, h, &a.sin_addr); return a; }
static int cmpd(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *m = argv[1];
  if (!strcmp(m, "udpsend") && argc >= 6) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0); struct sockaddr_in a = addr(argv[2], atoi(argv[3]));
    connect(fd, (struct sockaddr *)&a, sizeof(a));
    int size = atoi(argv[4]); long count = atol(argv[5]);
    char *p = calloc(64, size); struct mmsghdr mm[64]; struct iovec iv[64];
    for (int i = 0; i < 64; i++) { iv[i].iov_base = p + i * size; iv[i].iov_len = size; memset(&mm[i], 0, sizeof(mm[i])); mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1; }
    long sent = 0; double t0 = now();
    while (sent < count && now() - t0 < 30) { int k = count - sent < 64 ? count - sent : 64; int r = sendmmsg(fd, mm, k, 0); if (r > 0) sent += r; }
    printf("{\"sent\":%ld,\"secs\":%.4f}\n", sent, now() - t0); return 0;
  }
  if (!strcmp(m, "udprecv") && argc >= 5) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0); struct sockaddr_in a = addr("0.0.0.0", atoi(argv[2]));
    int rb = 256 << 20; setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb));
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    double secs = atof(argv[3]), idle = atof(argv[4]) / 1000.0, t0 = now(), first = 0, last = 0; long n = 0;
    char buf[256][2048]; struct mmsghdr mm[256]; struct iovec iv[256];
    for (int i = 0; i < 256; i++) { iv[i].iov_base = buf[i]; iv[i].iov_len = 2048; memset(&mm[i], 0, sizeof(mm[i])); mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1; }
    fprintf(stderr, "udprecv: ready\n");
    while (now() - t0 < secs && !(n > 0 && now() - last > idle)) {
      struct pollfd pf = {fd, POLLIN, 0}; if (poll(&pf, 1, 20) <= 0) continue;
      int r = recvmmsg(fd, mm, 256, MSG_DONTWAIT, NULL);
      if (r > 0) { if (!n) first = now(); n += r; last = now(); }
    }
    printf("{\"received\":%ld,\"first\":%.6f,\"last\":%.6f}\n", n, first, last); return 0;
  }
  if (!strcmp(m, "echo") && argc >= 4) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0); struct sockaddr_in a = addr("0.0.0.0", atoi(argv[2]));
    bind(fd, (struct sockaddr *)&a, sizeof(a)); double t0 = now(), secs = atof(argv[3]); char b[2048];
    fprintf(stderr, "echo: ready\n");
    while (now() - t0 < secs) {
      struct pollfd pf = {fd, POLLIN, 0}; if (poll(&pf, 1, 100) <= 0) continue;
      struct sockaddr_in from; socklen_t fl = sizeof(from); ssize_t r = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
      if (r > 0) sendto(fd, b, r, 0, (struct sockaddr *)&from, fl);
    }
    return 0;
  }
  if (!strcmp(m, "rtt") && argc >= 6) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0); struct sockaddr_in a = addr(argv[2], atoi(argv[3]));
    connect(fd, (struct sockaddr *)&a, sizeof(a));
    int count = atoi(argv[4]), gap = atoi(argv[5]), warm = 200, lost = 0; double *s = calloc(count, sizeof(double)); int n = 0; char b[64] = {0};
    for (int i = 0; i < count + warm; i++) {
      double t = now(); send(fd, b, 64, 0);
      struct pollfd pf = {fd, POLLIN, 0};
      if (poll(&pf, 1, 200) <= 0) { lost++; continue; }
      recv(fd, b, sizeof(b), 0);
      if (i >= warm) s[n++] = (now() - t) * 1e6;
      if (gap) usleep(gap);
    }
    qsort(s, n, sizeof(double), cmpd);
    printf("{\"n\":%d,\"lost\":%d,\"min_us\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f}\n", n, lost, n ? s[0] : 0, n ? s[n / 2] : 0, n ? s[n * 9 / 10] : 0, n ? s[n * 99 / 100] : 0);
    return 0;
  }
  if (!strcmp(m, "echon") && argc >= 4) {
    int k = argc - 3; if (k > 8) k = 8; struct pollfd pf[8]; double t0 = now(), secs = atof(argv[2]); char b[2048];
    for (int j = 0; j < k; j++) {
      struct sockaddr_in a = addr("0.0.0.0", atoi(argv[3 + j])); pf[j].fd = socket(AF_INET, SOCK_DGRAM, 0); pf[j].events = POLLIN;
      if (bind(pf[j].fd, (struct sockaddr *)&a, sizeof(a)) < 0) { perror("bind"); return 1; }
    }
    fprintf(stderr, "echon: ready\n");
    while (now() - t0 < secs) {
      if (poll(pf, k, 100) <= 0) continue;
      for (int j = 0; j < k; j++) {
        if (!(pf[j].revents & POLLIN)) continue;
        struct sockaddr_in from; socklen_t fl = sizeof(from); ssize_t r = recvfrom(pf[j].fd, b, sizeof(b), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (r > 0) sendto(pf[j].fd, b, r, 0, (struct sockaddr *)&from, fl);
      }
    }
    return 0;
  }
  if (!strcmp(m, "rttn") && argc >= 7) {
    int k = argc - 6; if (k > 8) k = 8; int fds[8]; int count = atoi(argv[3]), gap = atoi(argv[4]), block = atoi(argv[5]), warm = 200;
    if (block < 1) block = 1;
    count = (count + block - 1) / block * block;   // whole blocks
    warm = (warm + block - 1) / block * block;
    double *s[8]; int n[8], lost[8]; char b[64] = {0};
    for (int j = 0; j < k; j++) {
      struct sockaddr_in a = addr(argv[2], atoi(argv[6 + j])); fds[j] = socket(AF_INET, SOCK_DGRAM, 0);
      connect(fds[j], (struct sockaddr *)&a, sizeof(a)); s[j] = calloc(count, sizeof(double)); n[j] = 0; lost[j] = 0;
    }
    int seen[8] = {0};
    for (int i = 0; i < (count + warm) * k; i++) {
      int j = (i / block) % k; double t = now(); send(fds[j], b, 64, 0);
      int first = seen[j]++ < warm;   // this port's first `warm` requests are not sampled
      struct pollfd pf = {fds[j], POLLIN, 0};
      if (poll(&pf, 1, 200) <= 0) { lost[j]++; continue; }
      recv(fds[j], b, sizeof(b), 0);
      if (!first && n[j] < count) s[j][n[j]++] = (now() - t) * 1e6;
      if (gap) usleep(gap);
    }
    printf("{\"ports\":[");
    for (int j = 0; j < k; j++) {
      int c = n[j]; qsort(s[j], c, sizeof(double), cmpd);
      printf("%s{\"port\":%s,\"n\":%d,\"lost\":%d,\"min_us\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f}", j ? "," : "", argv[6 + j], c, lost[j],
             c ? s[j][0] : 0, c ? s[j][c / 2] : 0, c ? s[j][c * 9 / 10] : 0, c ? s[j][c * 99 / 100] : 0);
    }
    printf("]}\n");
    return 0;
  }
  if (!strcmp(m, "tcpsink") && argc >= 4) {
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1; setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = addr("0.0.0.0", atoi(argv[2])); bind(ls, (struct sockaddr *)&a, sizeof(a)); listen(ls, 1);
    fprintf(stderr, "tcpsink: ready\n");
    struct pollfd pf = {ls, POLLIN, 0}; if (poll(&pf, 1, (int)(atof(argv[3]) * 1000)) <= 0) { printf("{\"bytes\":0}\n"); return 1; }
    int c = accept(ls, NULL, NULL); static char b[1 << 20]; long long n = 0; double t0 = 0, t1 = 0;
    for (;;) { ssize_t r = read(c, b, sizeof(b)); if (r <= 0) break; if (!n) t0 = now(); n += r; t1 = now(); }
    printf("{\"bytes\":%lld,\"secs\":%.4f,\"gbit_s\":%.3f}\n", n, t1 - t0, t1 > t0 ? n * 8 / (t1 - t0) / 1e9 : 0); return 0;
  }
  if (!strcmp(m, "tcpsend") && argc >= 5) {
    int fd = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in a = addr(argv[2], atoi(argv[3]));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) { perror("connect"); return 1; }
    static char b[256 << 10]; long long n = 0; double t0 = now(), secs = atof(argv[4]);
    while (now() - t0 < secs) { ssize_t r = write(fd, b, sizeof(b)); if (r <= 0) break; n += r; }
    close(fd); printf("{\"bytes\":%lld}\n", n); return 0;
  }
  fprintf(stderr, "nettools: bad arguments\n"); return 2;
}
