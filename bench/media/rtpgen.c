/*
 * RTP load generator for bench/media.ts: plays both phones of N calls against
 * the relay. Each call has two UDP sockets (leg A, leg B); every 20 ms each sends
 * one 160-byte G.711 packet to its relay port, and everything the relay forwards
 * back is counted per stream: loss from sequence numbers, RFC 3550 A.8 jitter
 * from RTP timestamps against arrival time. Written in C with sendmmsg/epoll so
 * the generator costs little of the two cores the relay is measured on.
 *
 * Usage: rtpgen HOST SECONDS < ports   (stdin: "aPort bPort" per call)
 * Prints one JSON line of totals on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCALLS 8192
#define SLOTS 10 /* sends spread over the 20 ms period in 2 ms slots */

typedef struct {
  int fd;
  struct sockaddr_in to;
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  /* receive side: what came back on this socket */
  long received;
  int started;
  uint16_t max_seq;
  long cycles;
  uint16_t base_seq;
  double jitter;
  double transit;
  int have_transit;
  double jitter_sum;
  long jitter_n;
} stream_t;

static stream_t streams[MAXCALLS * 2];

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void on_packet(stream_t *s, const unsigned char *b, int len, double arrival) {
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
  double transit = arrival * 8.0 - (double)ts; /* in timestamp units (8 kHz) */
  if (s->have_transit) {
    double d = fabs(transit - s->transit);
    if (d < 80000) s->jitter += (d - s->jitter) / 16.0;
  }
  s->transit = transit;
  s->have_transit = 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rtpgen HOST SECONDS < ports\n");
    return 2;
  }
  const char *host = argv[1];
  double seconds = atof(argv[2]);
  int n = 0;
  int a, b;
  while (n < MAXCALLS && scanf("%d %d", &a, &b) == 2) {
    int ports[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      stream_t *s = &streams[n * 2 + k];
      memset(s, 0, sizeof *s);
      s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      if (s->fd < 0) {
        perror("socket");
        return 1;
      }
      int buf = 1 << 20;
      setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
      struct sockaddr_in me = {.sin_family = AF_INET};
      inet_pton(AF_INET, host, &me.sin_addr);
      if (bind(s->fd, (struct sockaddr *)&me, sizeof me) < 0) {
        perror("bind");
        return 1;
      }
      s->to.sin_family = AF_INET;
      s->to.sin_port = htons((uint16_t)ports[k]);
      inet_pton(AF_INET, host, &s->to.sin_addr);
      s->seq = (uint16_t)rand();
      s->ts = (uint32_t)rand();
      s->ssrc = (uint32_t)rand();
    }
    n++;
  }
  int total = n * 2;
  int ep = epoll_create1(0);
  for (int i = 0; i < total; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, streams[i].fd, &ev);
  }
  unsigned char pkt[12 + 160];
  memset(pkt + 12, 0xd5, 160);
  long sent = 0, send_errors = 0;
  double start = now_ms();
  double end = start + seconds * 1000.0;
  long tick = 0;
  struct epoll_event events[512];
  unsigned char rbuf[2048];
  while (1) {
    double now = now_ms();
    if (now >= end) break;
    /* Send the slots that are due: slot `tick` covers streams i with i % SLOTS == tick % SLOTS. */
    while (start + tick * (20.0 / SLOTS) <= now) {
      int slot = (int)(tick % SLOTS);
      for (int i = slot; i < total; i += SLOTS) {
        stream_t *s = &streams[i];
        pkt[0] = 0x80;
        pkt[1] = 8;
        pkt[2] = s->seq >> 8;
        pkt[3] = s->seq & 0xff;
        pkt[4] = s->ts >> 24;
        pkt[5] = (s->ts >> 16) & 0xff;
        pkt[6] = (s->ts >> 8) & 0xff;
        pkt[7] = s->ts & 0xff;
        pkt[8] = s->ssrc >> 24;
        pkt[9] = (s->ssrc >> 16) & 0xff;
        pkt[10] = (s->ssrc >> 8) & 0xff;
        pkt[11] = s->ssrc & 0xff;
        if (sendto(s->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&s->to, sizeof s->to) < 0)
          send_errors++;
        else
          sent++;
        s->seq++;
        s->ts += 160;
      }
      tick++;
    }
    double next = start + tick * (20.0 / SLOTS);
    int wait = (int)(next - now_ms());
    if (wait < 0) wait = 0;
    int got = epoll_wait(ep, events, 512, wait);
    for (int e = 0; e < got; e++) {
      stream_t *s = &streams[events[e].data.u32];
      for (;;) {
        int len = (int)recv(s->fd, rbuf, sizeof rbuf, 0);
        if (len < 0) break;
        on_packet(s, rbuf, len, now_ms());
      }
    }
  }
  /* Drain what is still in flight for 200 ms. */
  double drain = now_ms() + 200;
  while (now_ms() < drain) {
    int got = epoll_wait(ep, events, 512, 20);
    for (int e = 0; e < got; e++) {
      stream_t *s = &streams[events[e].data.u32];
      for (;;) {
        int len = (int)recv(s->fd, rbuf, sizeof rbuf, 0);
        if (len < 0) break;
        on_packet(s, rbuf, len, now_ms());
      }
    }
  }
  long received = 0, expected = 0;
  double jitter_sum = 0, jitter_max = 0;
  int streams_with_media = 0;
  for (int i = 0; i < total; i++) {
    stream_t *s = &streams[i];
    received += s->received;
    if (s->started) {
      long ext = s->cycles + s->max_seq;
      expected += ext - s->base_seq + 1;
      double j = s->jitter / 8.0; /* ms */
      jitter_sum += j;
      if (j > jitter_max) jitter_max = j;
      streams_with_media++;
    }
  }
  printf("{\"calls\":%d,\"sent\":%ld,\"sendErrors\":%ld,\"received\":%ld,\"expected\":%ld,"
         "\"streamsWithMedia\":%d,\"jitterMeanMs\":%.3f,\"jitterMaxMs\":%.3f}\n",
         n, sent, send_errors, received, expected, streams_with_media,
         streams_with_media ? jitter_sum / streams_with_media : 0.0, jitter_max);
  return 0;
}
