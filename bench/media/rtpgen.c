/*
 * RTP load generator for bench/media.ts: plays both phones of N calls against
 * the relay. Every 20 ms each of the 2N call legs sends one 160-byte G.711
 * packet to its relay port, and everything the relay forwards back is counted
 * per leg: loss from sequence numbers, RFC 3550 A.8 jitter from RTP timestamps
 * against arrival time.
 *
 * To cost little of the two cores the relay is measured on, the legs share a few
 * UDP sockets and go out and come in with sendmmsg/recvmmsg in batches; a packet
 * coming back is matched to its leg by the relay port it comes from (each relay
 * endpoint latches to, and sends from, its own port).
 *
 * Usage: rtpgen HOST SECONDS < ports   (stdin: "aPort bPort" per call)
 * Prints one JSON line of totals on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAXLEGS 20000
#define SOCKS 8
#define SLOTS 10 /* sends spread over the 20 ms period in 2 ms slots */
#define BATCH 256

typedef struct {
  struct sockaddr_in to;
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  long received;
  int started;
  uint16_t max_seq;
  long cycles;
  uint16_t base_seq;
  double jitter;
  double transit;
  int have_transit;
} leg_t;

static leg_t legs[MAXLEGS];
/* The leg whose packets come back from a relay port: the other leg of the call. */
static int by_port[65536];

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void on_packet(leg_t *s, const unsigned char *b, int len, double arrival) {
  if (len < 12) return;
  uint16_t seq = (uint16_t)((b[2] << 8) | b[3]);
  uint32_t ts = ((uint32_t)b[4] << 24) | ((uint32_t)b[5] << 16) | ((uint32_t)b[6] << 8) | b[7];
  if (!s->started) {
    s->started = 1;
    s->base_seq = seq;
    s->max_seq = seq;
  } else {
    uint16_t delta = (uint16_t)(seq - s->max_seq);
    if (delta < 3000) {
      if (seq < s->max_seq) s->cycles += 65536;
      s->max_seq = seq;
    }
  }
  s->received++;
  double transit = arrival * 8.0 - (double)ts; /* timestamp units at 8 kHz */
  if (s->have_transit) {
    double d = fabs(transit - s->transit);
    if (d < 80000) s->jitter += (d - s->jitter) / 16.0;
  }
  s->transit = transit;
  s->have_transit = 1;
}

static int socks[SOCKS];
static struct mmsghdr rmsgs[BATCH];
static struct iovec riov[BATCH];
static struct sockaddr_in rfrom[BATCH];
static unsigned char rbufs[BATCH][256];

static void receive_all(int timeout_ms) {
  struct pollfd p[SOCKS];
  for (int k = 0; k < SOCKS; k++) p[k] = (struct pollfd){.fd = socks[k], .events = POLLIN};
  if (poll(p, SOCKS, timeout_ms) <= 0) return;
  for (int k = 0; k < SOCKS; k++) {
    if (!(p[k].revents & POLLIN)) continue;
    for (;;) {
      for (int i = 0; i < BATCH; i++) {
        riov[i] = (struct iovec){.iov_base = rbufs[i], .iov_len = sizeof rbufs[i]};
        rmsgs[i].msg_hdr = (struct msghdr){.msg_name = &rfrom[i], .msg_namelen = sizeof rfrom[i], .msg_iov = &riov[i], .msg_iovlen = 1};
      }
      int n = recvmmsg(socks[k], rmsgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0) break;
      double t = now_ms();
      for (int i = 0; i < n; i++) {
        int leg = by_port[ntohs(rfrom[i].sin_port)];
        if (leg > 0) on_packet(&legs[leg - 1], rbufs[i], (int)rmsgs[i].msg_len, t);
      }
      if (n < BATCH) break;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rtpgen HOST SECONDS < ports\n");
    return 2;
  }
  const char *host = argv[1];
  double seconds = atof(argv[2]);
  for (int k = 0; k < SOCKS; k++) {
    socks[k] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 8 << 20;
    /* Root may exceed net.core.rmem_max (FORCE); otherwise the plain request is capped by it. */
    if (setsockopt(socks[k], SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0)
      setsockopt(socks[k], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(socks[k], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    struct sockaddr_in me = {.sin_family = AF_INET};
    inet_pton(AF_INET, host, &me.sin_addr);
    if (bind(socks[k], (struct sockaddr *)&me, sizeof me) < 0) {
      perror("bind");
      return 1;
    }
  }
  int n = 0, a, b;
  while (2 * n + 1 < MAXLEGS && scanf("%d %d", &a, &b) == 2) {
    int ports[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      leg_t *s = &legs[2 * n + k];
      memset(s, 0, sizeof *s);
      s->to.sin_family = AF_INET;
      s->to.sin_port = htons((uint16_t)ports[k]);
      inet_pton(AF_INET, host, &s->to.sin_addr);
      s->seq = (uint16_t)rand();
      s->ts = (uint32_t)rand();
      s->ssrc = (uint32_t)rand();
    }
    /* What relay port A sends back is what leg B sent, and the other way round. */
    by_port[a] = 2 * n + 1 + 1;
    by_port[b] = 2 * n + 0 + 1;
    n++;
  }
  int total = 2 * n;
  static unsigned char pkts[BATCH][12 + 160];
  static struct mmsghdr smsgs[BATCH];
  static struct iovec siov[BATCH];
  long sent = 0, send_errors = 0;
  double start = now_ms();
  double end = start + seconds * 1000.0;
  long tick = 0;
  while (now_ms() < end) {
    double now = now_ms();
    while (start + tick * (20.0 / SLOTS) <= now) {
      int slot = (int)(tick % SLOTS);
      /* Legs of this slot, in batches; leg i always uses socket i % SOCKS (its latched address). */
      for (int k = 0; k < SOCKS; k++) {
        int m = 0;
        for (int i = slot * SOCKS + k; i < total; i += SLOTS * SOCKS) {
          leg_t *s = &legs[i];
          unsigned char *p = pkts[m];
          p[0] = 0x80;
          p[1] = 8;
          p[2] = s->seq >> 8;
          p[3] = s->seq & 0xff;
          p[4] = s->ts >> 24;
          p[5] = (s->ts >> 16) & 0xff;
          p[6] = (s->ts >> 8) & 0xff;
          p[7] = s->ts & 0xff;
          p[8] = s->ssrc >> 24;
          p[9] = (s->ssrc >> 16) & 0xff;
          p[10] = (s->ssrc >> 8) & 0xff;
          p[11] = s->ssrc & 0xff;
          memset(p + 12, 0xd5, 160);
          siov[m] = (struct iovec){.iov_base = p, .iov_len = 12 + 160};
          smsgs[m].msg_hdr = (struct msghdr){.msg_name = &s->to, .msg_namelen = sizeof s->to, .msg_iov = &siov[m], .msg_iovlen = 1};
          s->seq++;
          s->ts += 160;
          if (++m == BATCH) {
            int r = sendmmsg(socks[k], smsgs, m, 0);
            if (r > 0) sent += r;
            if (r < m) send_errors += m - (r > 0 ? r : 0);
            m = 0;
          }
        }
        if (m > 0) {
          int r = sendmmsg(socks[k], smsgs, m, 0);
          if (r > 0) sent += r;
          if (r < m) send_errors += m - (r > 0 ? r : 0);
        }
      }
      tick++;
    }
    double next = start + tick * (20.0 / SLOTS);
    int wait = (int)(next - now_ms());
    receive_all(wait < 0 ? 0 : wait);
  }
  double drain = now_ms() + 300;
  while (now_ms() < drain) receive_all(20);
  long received = 0, expected = 0;
  double jitter_sum = 0, jitter_max = 0;
  int with_media = 0;
  for (int i = 0; i < total; i++) {
    leg_t *s = &legs[i];
    received += s->received;
    if (!s->started) continue;
    expected += s->cycles + s->max_seq - s->base_seq + 1;
    double j = s->jitter / 8.0;
    jitter_sum += j;
    if (j > jitter_max) jitter_max = j;
    with_media++;
  }
  printf("{\"calls\":%d,\"sent\":%ld,\"sendErrors\":%ld,\"received\":%ld,\"expected\":%ld,"
         "\"streamsWithMedia\":%d,\"jitterMeanMs\":%.3f,\"jitterMaxMs\":%.3f}\n",
         n, sent, send_errors, received, expected, with_media, with_media ? jitter_sum / with_media : 0.0,
         jitter_max);
  return 0;
}
