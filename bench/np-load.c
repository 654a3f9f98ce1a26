/* np-load.c — loopback load generator for the Netpulse benchmarks.
 *
 * Every mode prints one JSON object on stdout when it is done, with the
 * exact payload bytes each side moved, so that what the helper reports can
 * be compared byte for byte.  Run it inside a network namespace with only
 * loopback (bench/benchlib.py makes one).
 *
 *   np-load tcp   --size S --seconds T
 *       One TCP connection, the client writes S-byte buffers for T seconds,
 *       the server reads everything.  → bytes/s
 *   np-load udp   --size S --seconds T
 *       Unconnected UDP: sendto() of S-byte datagrams to a receiver for T
 *       seconds.  → datagrams/s sent and received (loopback drops what the
 *       receiver cannot keep up with; both sides are counted exactly)
 *   np-load churn --size K --seconds T [--dests N] [--rate R]
 *       connect / write K bytes / close, as fast as possible (or R per
 *       second), for T seconds; the server accepts, reads to EOF and
 *       closes.  → connections/s
 *   np-load hold  --conns N --active-pct P [--period-ms MS] [--seconds T]
 *       Opens N TCP connections (2N sockets, spread over as many worker
 *       processes as the descriptor limit needs, each with its own listener
 *       on --port, --port + 1, …), prints a "ready" line, then every MS
 *       milliseconds writes one byte on the same P % of them (and reads it
 *       on the other end), until T seconds (0: forever) or SIGTERM.  A line
 *       with a number on stdin sets a new P (acknowledged with a JSON line).
 *       Used for the helper's cost at scale.
 *
 * Common options: --port P (default 5001), --cpu-tx C / --cpu-rx C (pin the
 * sending and receiving process; -1 = do not pin), --dests N (churn, hold:
 * connect to 127.0.0.1 … 127.0.0.N in turn, default 8, for more four-tuples
 * than one address has ports).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RX_BUFFER_SIZE (256 * 1024)
#define MAX_SIZE       (1024 * 1024)

typedef struct {
  const char *mode;
  long        size;
  double      seconds;
  int         port;
  int         cpu_tx;
  int         cpu_rx;
  int         dests;
  long        conns;
  double      active_pct;
  int         period_ms;
  double      rate;       /* churn: connections per second, 0 = as fast as possible */
} Options;

/* What a receiving child reports back to its parent through a pipe. */
typedef struct {
  uint64_t bytes;
  uint64_t calls;       /* reads / datagrams / connections served */
  uint64_t errors;
  uint64_t cpu_ns;      /* the receiver's CPU time (user + system) */
  int      pid;
} RxReport;

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal (int signum)
{
  (void) signum;
  stop_requested = 1;
}

static void
die (const char *what)
{
  fprintf (stderr, "np-load: %s: %s\n", what, strerror (errno));
  exit (1);
}

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system time of this process (all its threads), in ns: unlike
 * throughput, hardly affected by other processes competing for the CPUs. */
static uint64_t
cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* The receiver's last act: its totals and its CPU time, to the parent. */
static void
send_report (int       report_fd,
             RxReport *report)
{
  report->cpu_ns = cpu_ns ();
  if (write (report_fd, report, sizeof *report) != (ssize_t) sizeof *report)
    die ("report");
}

static void
pin_to (int cpu)
{
  cpu_set_t set;

  if (cpu < 0)
    return;
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  if (sched_setaffinity (0, sizeof set, &set) != 0)
    fprintf (stderr, "np-load: cannot pin to CPU %d: %s\n", cpu, strerror (errno));
}

static unsigned long
netns_inode (void)
{
  struct stat st;

  return stat ("/proc/self/ns/net", &st) == 0 ? (unsigned long) st.st_ino : 0;
}

static void
set_stop_handler (void)
{
  struct sigaction sa = { 0 };

  /* No SA_RESTART: a blocking read or accept returns EINTR. */
  sa.sa_handler = on_stop_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGUSR1, &sa, NULL);
}

static struct sockaddr_in
loopback (int index,
          int port)
{
  struct sockaddr_in addr = { 0 };

  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  /* 127.0.0.1, 127.0.0.2, …: more four-tuples than one address has ports. */
  addr.sin_addr.s_addr = htonl (0x7f000001 + index);
  return addr;
}

static int
listen_tcp (int port)
{
  struct sockaddr_in addr = { 0 };
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    die ("socket");
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_ANY);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    die ("bind");
  if (listen (fd, 4096) != 0)
    die ("listen");
  return fd;
}

static int
local_port (int fd)
{
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;

  if (getsockname (fd, (struct sockaddr *) &addr, &len) != 0)
    return 0;
  return ntohs (addr.sin_port);
}

static bool
write_all (int         fd,
           const char *buf,
           size_t      len,
           uint64_t   *written)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      *written += n;
      buf += n;
      len -= n;
    }
  return true;
}

/* Forks a receiving child running @body on @fd (and @control_fd, -1 if
 * unused); returns its pid and the read end of the pipe its RxReport comes
 * through. */
typedef void (*ReceiverFunc) (const Options *options,
                              int            fd,
                              int            control_fd,
                              int            report_fd);

static pid_t
fork_receiver (const Options *options,
               int           *report_fd,
               ReceiverFunc   body,
               int            fd,
               int            control_fd)
{
  int fds[2];
  pid_t pid;

  if (pipe (fds) != 0)
    die ("pipe");
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      close (fds[0]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      pin_to (options->cpu_rx);
      body (options, fd, control_fd, fds[1]);
      _exit (0);
    }
  close (fds[1]);
  *report_fd = fds[0];
  return pid;
}

static RxReport
wait_receiver (pid_t pid,
               int   report_fd)
{
  RxReport report = { 0 };
  int status;

  if (read (report_fd, &report, sizeof report) != (ssize_t) sizeof report)
    fprintf (stderr, "np-load: the receiver did not report\n");
  close (report_fd);
  waitpid (pid, &status, 0);
  return report;
}

/* Reads @fd until the peer closes it (or an error); returns the bytes
 * read and adds the number of reads to *@reads, if given. */
static uint64_t
read_until_eof (int       fd,
                char     *buf,
                size_t    size,
                uint64_t *reads)
{
  uint64_t bytes = 0;

  for (;;)
    {
      ssize_t n = read (fd, buf, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return bytes;
      bytes += n;
      if (reads != NULL)
        (*reads)++;
    }
}

/* ---- tcp ---- */

static void
tcp_server (const Options *options,
            int            listen_fd,
            int            control_fd,
            int            report_fd)
{
  static char buf[RX_BUFFER_SIZE];
  RxReport report = { .pid = getpid () };
  int fd;

  prctl (PR_SET_NAME, "np-load-rx");
  fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    die ("accept");
  report.bytes = read_until_eof (fd, buf, sizeof buf, &report.calls);
  close (fd);
  send_report (report_fd, &report);
}

static int
run_tcp (const Options *options)
{
  static char buf[MAX_SIZE];
  int listen_fd = listen_tcp (options->port);
  int report_fd;
  pid_t child = fork_receiver (options, &report_fd, tcp_server, listen_fd, -1);
  struct sockaddr_in addr = loopback (0, options->port);
  uint64_t written = 0, writes = 0, cpu0, cpu1;
  double start, end, elapsed;
  int fd, lport;
  RxReport rx;

  prctl (PR_SET_NAME, "np-load-tx");
  close (listen_fd);
  memset (buf, 'x', sizeof buf);

  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    die ("connect");
  lport = local_port (fd);

  cpu0 = cpu_ns ();
  start = now_s ();
  end = start + options->seconds;
  for (;;)
    {
      /* Looking at the clock every 64 writes costs nothing measurable. */
      if ((writes & 63) == 0 && now_s () >= end)
        break;
      if (!write_all (fd, buf, options->size, &written))
        die ("write");
      writes++;
    }
  elapsed = now_s () - start;
  close (fd);
  cpu1 = cpu_ns ();
  rx = wait_receiver (child, report_fd);

  printf ("{\"mode\":\"tcp\",\"size\":%ld,\"seconds\":%.6f,\"netns\":%lu,\"port\":%d,"
          "\"client_pid\":%d,\"client_lport\":%d,\"server_pid\":%d,"
          "\"tx_bytes\":%llu,\"tx_calls\":%llu,\"rx_bytes\":%llu,\"rx_calls\":%llu,"
          "\"tx_cpu_ns\":%llu,\"rx_cpu_ns\":%llu,"
          "\"bytes_per_s\":%.1f,\"writes_per_s\":%.1f}\n",
          options->size, elapsed, netns_inode (), options->port,
          getpid (), lport, rx.pid,
          (unsigned long long) written, (unsigned long long) writes,
          (unsigned long long) rx.bytes, (unsigned long long) rx.calls,
          (unsigned long long) (cpu1 - cpu0), (unsigned long long) rx.cpu_ns,
          written / elapsed, writes / elapsed);
  return written == rx.bytes ? 0 : 1;
}

/* ---- udp ---- */

static void
udp_receiver (const Options *options,
              int            fd,
              int            control_fd,
              int            report_fd)
{
  static char buf[65536];
  RxReport report = { .pid = getpid () };

  prctl (PR_SET_NAME, "np-load-rx");
  set_stop_handler ();
  while (!stop_requested)
    {
      struct sockaddr_in from;
      socklen_t len = sizeof from;
      ssize_t n = recvfrom (fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          report.errors++;
          continue;
        }
      report.bytes += n;
      report.calls++;
    }
  /* Whatever is still queued is read too: the sender is done. */
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);

      if (n < 0)
        break;
      report.bytes += n;
      report.calls++;
    }
  send_report (report_fd, &report);
}

static int
run_udp (const Options *options)
{
  static char buf[65536];
  struct sockaddr_in addr = loopback (0, options->port);
  int rx_fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int tx_fd, report_fd, rcvbuf = 4 * 1024 * 1024;
  uint64_t sent = 0, datagrams = 0, errors = 0, cpu0, cpu1;
  double start, end, elapsed;
  pid_t child;
  RxReport rx;

  if (rx_fd < 0)
    die ("socket");
  setsockopt (rx_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind (rx_fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    die ("bind");
  child = fork_receiver (options, &report_fd, udp_receiver, rx_fd, -1);
  close (rx_fd);

  prctl (PR_SET_NAME, "np-load-tx");
  memset (buf, 'u', sizeof buf);
  tx_fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (tx_fd < 0)
    die ("socket");

  cpu0 = cpu_ns ();
  start = now_s ();
  end = start + options->seconds;
  for (;;)
    {
      ssize_t n;

      if ((datagrams & 63) == 0 && now_s () >= end)
        break;
      n = sendto (tx_fd, buf, options->size, 0, (struct sockaddr *) &addr, sizeof addr);
      if (n < 0)
        {
          /* ENOBUFS/EAGAIN under pressure: counted, not fatal. */
          errors++;
          continue;
        }
      sent += n;
      datagrams++;
    }
  elapsed = now_s () - start;
  cpu1 = cpu_ns ();
  /* Let the receiver drain its queue, then stop it. */
  usleep (200 * 1000);
  kill (child, SIGUSR1);
  rx = wait_receiver (child, report_fd);

  printf ("{\"mode\":\"udp\",\"size\":%ld,\"seconds\":%.6f,\"netns\":%lu,\"port\":%d,"
          "\"client_pid\":%d,\"client_lport\":%d,\"server_pid\":%d,"
          "\"tx_bytes\":%llu,\"tx_calls\":%llu,\"tx_errors\":%llu,"
          "\"rx_bytes\":%llu,\"rx_calls\":%llu,\"tx_cpu_ns\":%llu,\"rx_cpu_ns\":%llu,"
          "\"packets_per_s\":%.1f,\"rx_packets_per_s\":%.1f,\"bytes_per_s\":%.1f}\n",
          options->size, elapsed, netns_inode (), options->port,
          getpid (), local_port (tx_fd), rx.pid,
          (unsigned long long) sent, (unsigned long long) datagrams, (unsigned long long) errors,
          (unsigned long long) rx.bytes, (unsigned long long) rx.calls,
          (unsigned long long) (cpu1 - cpu0), (unsigned long long) rx.cpu_ns,
          datagrams / elapsed, rx.calls / elapsed, sent / elapsed);
  close (tx_fd);
  return 0;
}

/* ---- churn ---- */

/* Serves connections until the parent has written how many there were and
 * that many were served. */
static void
churn_server (const Options *options,
              int            listen_fd,
              int            control_fd,
              int            report_fd)
{
  static char buf[65536];
  RxReport report = { .pid = getpid () };
  uint64_t expected = UINT64_MAX;

  prctl (PR_SET_NAME, "np-load-rx");
  while (report.calls < expected)
    {
      struct pollfd fds[2] = {
        { .fd = listen_fd, .events = POLLIN },
        { .fd = control_fd, .events = POLLIN },
      };
      int fd;

      if (poll (fds, expected == UINT64_MAX ? 2 : 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      if (expected == UINT64_MAX && (fds[1].revents & (POLLIN | POLLHUP)))
        {
          if (read (control_fd, &expected, sizeof expected) != (ssize_t) sizeof expected)
            die ("control pipe");
          continue;
        }
      if (!(fds[0].revents & POLLIN))
        continue;

      fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0)
        {
          report.errors++;
          continue;
        }
      report.bytes += read_until_eof (fd, buf, sizeof buf, NULL);
      close (fd);
      report.calls++;
    }
  send_report (report_fd, &report);
}

static int
run_churn (const Options *options)
{
  static char buf[MAX_SIZE];
  int listen_fd = listen_tcp (options->port);
  int control[2], report_fd;
  uint64_t conns = 0, written = 0, failed = 0, cpu0, cpu1;
  double start, end, elapsed;
  pid_t child;
  RxReport rx;

  /* The parent tells the server through @control how many connections
   * there were, once it is done. */
  if (pipe (control) != 0)
    die ("pipe");
  child = fork_receiver (options, &report_fd, churn_server, listen_fd, control[0]);
  close (listen_fd);
  close (control[0]);

  prctl (PR_SET_NAME, "np-load-tx");
  memset (buf, 'c', sizeof buf);

  cpu0 = cpu_ns ();
  start = now_s ();
  end = start + options->seconds;
  while (now_s () < end)
    {
      struct sockaddr_in addr = loopback (conns % options->dests, options->port);
      uint64_t n = 0;
      int fd;

      if (options->rate > 0)
        {
          /* Paced: connection k starts at start + k / rate. */
          double wait = start + (conns + failed) / options->rate - now_s ();

          if (wait > 0)
            usleep ((useconds_t) (wait * 1e6));
        }
      fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

      if (fd < 0)
        die ("socket");
      if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
          !write_all (fd, buf, options->size, &n))
        {
          failed++;
          close (fd);
          continue;
        }
      close (fd);
      written += n;
      conns++;
    }
  elapsed = now_s () - start;
  cpu1 = cpu_ns ();
  if (write (control[1], &conns, sizeof conns) != (ssize_t) sizeof conns)
    die ("control pipe");
  rx = wait_receiver (child, report_fd);

  printf ("{\"mode\":\"churn\",\"size\":%ld,\"seconds\":%.6f,\"netns\":%lu,\"port\":%d,"
          "\"client_pid\":%d,\"server_pid\":%d,\"connections\":%llu,\"failed\":%llu,"
          "\"tx_bytes\":%llu,\"rx_bytes\":%llu,\"served\":%llu,"
          "\"tx_cpu_ns\":%llu,\"rx_cpu_ns\":%llu,\"conns_per_s\":%.1f}\n",
          options->size, elapsed, netns_inode (), options->port,
          getpid (), rx.pid, (unsigned long long) conns, (unsigned long long) failed,
          (unsigned long long) written, (unsigned long long) rx.bytes,
          (unsigned long long) rx.calls, (unsigned long long) (cpu1 - cpu0),
          (unsigned long long) rx.cpu_ns, conns / elapsed);
  return 0;
}

/* ---- hold ---- */

/* As many descriptors as allowed: the soft limit up to the hard one (more
 * needs CAP_SYS_RESOURCE, which containers often lack). */
static long
fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    die ("getrlimit");
  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
      getrlimit (RLIMIT_NOFILE, &limit);
    }
  return limit.rlim_cur == RLIM_INFINITY ? 1 << 20 : (long) limit.rlim_cur;
}

static long
active_count (long   n,
              double pct)
{
  return (long) (n * pct / 100.0 + 0.5);
}

/* A new percentage from @fd, if a line is waiting; -1 if none. */
static double
read_new_pct (int   fd,
              bool *open_)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  char line[64];
  ssize_t n;

  if (!*open_ || poll (&p, 1, 0) <= 0)
    return -1;
  n = read (fd, line, sizeof line - 1);
  if (n <= 0)
    {
      *open_ = false;
      return -1;
    }
  line[n] = '\0';
  return strtod (line, NULL);
}

/* One worker: @n connections to its own listener on @port, then the byte
 * exchange on the active share until stopped.  Reports readiness (one byte)
 * on @ready_fd and takes new percentages from @control_fd. */
static void
hold_worker (const Options *options,
             long           n,
             int            port,
             int            ready_fd,
             int            control_fd)
{
  long active = active_count (n, options->active_pct);
  bool control_open = true;
  int listen_fd, *clients, *servers;
  double next;
  char byte = 'h';

  prctl (PR_SET_NAME, "np-load-hold");
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  set_stop_handler ();
  listen_fd = listen_tcp (port);
  clients = calloc (n, sizeof *clients);
  servers = calloc (n, sizeof *servers);
  if (clients == NULL || servers == NULL)
    die ("calloc");

  for (long i = 0; i < n; i++)
    {
      struct sockaddr_in addr = loopback (i % options->dests, port);

      clients[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (clients[i] < 0)
        die ("socket");
      /* On loopback the handshake completes inside connect(); accepting
       * right away keeps the accept queue short. */
      if (connect (clients[i], (struct sockaddr *) &addr, sizeof addr) != 0)
        die ("connect");
      servers[i] = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (servers[i] < 0)
        die ("accept");
    }
  if (write (ready_fd, &byte, 1) != 1)
    die ("ready pipe");

  next = now_s ();
  while (!stop_requested)
    {
      double wait, pct = read_new_pct (control_fd, &control_open);

      if (pct >= 0 && pct <= 100)
        active = active_count (n, pct);
      for (long i = 0; i < active; i++)
        {
          char in;

          if (write (clients[i], &byte, 1) != 1)
            continue;
          /* Loopback delivers inside write(): the byte is there to read. */
          while (read (servers[i], &in, 1) < 0 && errno == EINTR)
            ;
        }
      next += options->period_ms / 1000.0;
      wait = next - now_s ();
      if (wait > 0)
        usleep ((useconds_t) (wait * 1e6));
    }
  _exit (0);
}

static int
run_hold (const Options *options)
{
  long n = options->conns;
  /* Two descriptors per connection plus a few, per process. */
  long per_worker = (fd_limit () - 64) / 2;
  int workers = (int) ((n + per_worker - 1) / per_worker);
  pid_t *pids = calloc (workers, sizeof *pids);
  int *controls = calloc (workers, sizeof *controls);
  int ready[2];
  bool stdin_open = true;
  double start = now_s (), end;
  long done = 0;

  if (pids == NULL || controls == NULL || pipe (ready) != 0)
    die ("setup");
  set_stop_handler ();
  prctl (PR_SET_NAME, "np-load-hold");

  for (int w = 0; w < workers; w++)
    {
      long share = n / workers + (w < n % workers ? 1 : 0);
      int control[2];

      if (pipe (control) != 0)
        die ("pipe");
      pids[w] = fork ();
      if (pids[w] < 0)
        die ("fork");
      if (pids[w] == 0)
        {
          close (ready[0]);
          close (control[1]);
          hold_worker (options, share, options->port + w, ready[1], control[0]);
        }
      close (control[0]);
      controls[w] = control[1];
    }
  close (ready[1]);
  while (done < workers)
    {
      struct pollfd p = { .fd = ready[0], .events = POLLIN };
      char byte;

      if (stop_requested)
        break;
      /* A worker that failed exits: do not wait for it forever. */
      if (waitpid (-1, NULL, WNOHANG) > 0)
        {
          fprintf (stderr, "np-load: a worker failed while connecting\n");
          for (int w = 0; w < workers; w++)
            kill (pids[w], SIGKILL);
          exit (1);
        }
      if (poll (&p, 1, 200) > 0 && read (ready[0], &byte, 1) == 1)
        done++;
    }
  close (ready[0]);

  printf ("{\"ready\":true,\"pid\":%d,\"workers\":%d,\"conns\":%ld,\"active\":%ld,\"netns\":%lu,\"setup_s\":%.3f}\n",
          getpid (), workers, n, active_count (n, options->active_pct), netns_inode (), now_s () - start);
  fflush (stdout);

  end = options->seconds > 0 ? now_s () + options->seconds : 0;
  while (!stop_requested && (end == 0 || now_s () < end))
    {
      double pct = read_new_pct (STDIN_FILENO, &stdin_open);

      if (pct >= 0 && pct <= 100)
        {
          char line[32];
          int len = snprintf (line, sizeof line, "%g\n", pct);

          for (int w = 0; w < workers; w++)
            if (write (controls[w], line, len) != len)
              die ("control pipe");
          printf ("{\"active\":%ld,\"pct\":%g}\n", active_count (n, pct), pct);
          fflush (stdout);
        }
      usleep (20 * 1000);
    }

  for (int w = 0; w < workers; w++)
    kill (pids[w], SIGTERM);
  for (int w = 0; w < workers; w++)
    waitpid (pids[w], NULL, 0);
  printf ("{\"mode\":\"hold\",\"pid\":%d,\"conns\":%ld,\"workers\":%d}\n", getpid (), n, workers);
  return 0;
}

/* ---- main ---- */

static void
usage (void)
{
  fprintf (stderr,
           "usage: np-load tcp|udp|churn|hold [--size S] [--seconds T] [--port P]\n"
           "               [--cpu-tx C] [--cpu-rx C] [--dests N]\n"
           "               [--conns N] [--active-pct P] [--period-ms MS] [--rate R]\n");
  exit (2);
}

int
main (int   argc,
      char *argv[])
{
  static const struct option long_options[] = {
    { "size",       required_argument, NULL, 's' },
    { "seconds",    required_argument, NULL, 't' },
    { "port",       required_argument, NULL, 'p' },
    { "cpu-tx",     required_argument, NULL, 'x' },
    { "cpu-rx",     required_argument, NULL, 'r' },
    { "dests",      required_argument, NULL, 'd' },
    { "conns",      required_argument, NULL, 'n' },
    { "active-pct", required_argument, NULL, 'a' },
    { "period-ms",  required_argument, NULL, 'm' },
    { "rate",       required_argument, NULL, 'R' },
    { NULL, 0, NULL, 0 },
  };
  Options options = {
    .size = 64, .seconds = 2.0, .port = 5001, .cpu_tx = -1, .cpu_rx = -1,
    .dests = 8, .conns = 1000, .active_pct = 0, .period_ms = 100,
  };
  int c;

  if (argc < 2)
    usage ();
  options.mode = argv[1];
  optind = 2;
  while ((c = getopt_long (argc, argv, "", long_options, NULL)) != -1)
    {
      switch (c)
        {
        case 's': options.size = strtol (optarg, NULL, 10); break;
        case 't': options.seconds = strtod (optarg, NULL); break;
        case 'p': options.port = (int) strtol (optarg, NULL, 10); break;
        case 'x': options.cpu_tx = (int) strtol (optarg, NULL, 10); break;
        case 'r': options.cpu_rx = (int) strtol (optarg, NULL, 10); break;
        case 'd': options.dests = (int) strtol (optarg, NULL, 10); break;
        case 'n': options.conns = strtol (optarg, NULL, 10); break;
        case 'a': options.active_pct = strtod (optarg, NULL); break;
        case 'm': options.period_ms = (int) strtol (optarg, NULL, 10); break;
        case 'R': options.rate = strtod (optarg, NULL); break;
        default: usage ();
        }
    }
  if (options.size < 1 || options.size > MAX_SIZE || options.dests < 1 || options.dests > 250 ||
      options.conns < 1 || options.active_pct < 0 || options.active_pct > 100 || options.period_ms < 1 ||
      options.rate < 0)
    usage ();

  /* A reader that went away must not kill the writer with SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);
  pin_to (options.cpu_tx);

  if (strcmp (options.mode, "tcp") == 0)
    return run_tcp (&options);
  if (strcmp (options.mode, "udp") == 0)
    {
      if (options.size > 65507)
        usage ();
      return run_udp (&options);
    }
  if (strcmp (options.mode, "churn") == 0)
    return run_churn (&options);
  if (strcmp (options.mode, "hold") == 0)
    return run_hold (&options);
  usage ();
  return 2;
}
