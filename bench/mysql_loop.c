/* The client side of bench/proxy_mysql_bench.py: N threads with libmariadb (C, like pgbench),
 * so that the figures measure the path to the server, not a client library's overhead.
 *
 *   mysql_loop select|connect HOST PORT USER DATABASE CLIENTS SECONDS [CA]
 *
 * select:  each thread logs in, all wait at a barrier, then run a primary-key point select
 *          (SELECT c FROM bench_point WHERE id = <varies>) until SECONDS are over; the logins
 *          are not timed.
 * connect: each thread logs in, runs SELECT 1 and closes, over and over, for SECONDS.
 * With CA: TLS verified against it (the server's certificate must name HOST); without: no TLS.
 * The password is $MYSQL_PWD (unset: none). Prints "go" when the timed part starts, then
 * {"count": N, "seconds": S, "cpu": C} (C: this process's CPU seconds in the timed part); on
 * an error prints it and exits 1.
 *
 * Built by proxy_mysql_bench.py: gcc -O2 -pthread mysql_loop.c $(mariadb_config --cflags --libs)
 */
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* From mysql/client_plugin.h, which Debian's libmariadb-dev ships unusable (it includes a
 * header the package lacks). */
#define MYSQL_CLIENT_AUTHENTICATION_PLUGIN 2
struct st_mysql_client_plugin *mysql_client_find_plugin(MYSQL *, const char *, int);

static const char *host, *user, *database, *ca, *password;
static unsigned port;
static int connect_mode;
static atomic_int stop;
static atomic_long count;
static pthread_barrier_t ready;

static void fail(MYSQL *m, const char *what) {
  fprintf(stderr, "mysql_loop: %s: %u (%s) %s\n", what, mysql_errno(m), mysql_sqlstate(m),
          mysql_error(m));
  fflush(stderr);
  _exit(1); /* other threads are running: no atexit handlers */
}

static MYSQL *login(void) {
  MYSQL *m = mysql_init(NULL);
  if (!m) {
    fprintf(stderr, "mysql_loop: mysql_init failed\n");
    _exit(1);
  }
  if (ca) {
    my_bool verify = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_CA, ca);
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  } else {
    my_bool off = 0;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &off);
  }
  if (!mysql_real_connect(m, host, user, password, database, port, NULL, 0))
    fail(m, "login");
  return m;
}

static void query(MYSQL *m, const char *sql) {
  if (mysql_query(m, sql))
    fail(m, sql);
  MYSQL_RES *r = mysql_store_result(m);
  if (!r || !mysql_fetch_row(r))
    fail(m, "no row");
  mysql_free_result(r);
}

static void *client(void *arg) {
  long n = 0, id = (long)(size_t)arg;
  char sql[96];
  if (connect_mode) {
    pthread_barrier_wait(&ready);
    while (!atomic_load(&stop)) {
      MYSQL *m = login();
      query(m, "SELECT 1");
      mysql_close(m);
      n++;
    }
  } else {
    MYSQL *m = login();
    pthread_barrier_wait(&ready);
    while (!atomic_load(&stop)) {
      snprintf(sql, sizeof sql, "SELECT c FROM bench_point WHERE id = %ld",
               1 + (id * 7919 + n) % 10000);
      query(m, sql);
      n++;
    }
    mysql_close(m);
  }
  atomic_fetch_add(&count, n);
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 8 || (strcmp(argv[1], "select") && strcmp(argv[1], "connect"))) {
    fprintf(stderr,
            "usage: mysql_loop select|connect HOST PORT USER DATABASE CLIENTS SECONDS [CA]\n");
    return 2;
  }
  connect_mode = !strcmp(argv[1], "connect");
  host = argv[2];
  port = (unsigned)atoi(argv[3]);
  user = argv[4];
  database = argv[5];
  int clients = atoi(argv[6]);
  double seconds = atof(argv[7]);
  ca = argc > 8 ? argv[8] : NULL;
  password = getenv("MYSQL_PWD");
  if (mysql_library_init(0, NULL, NULL))
    return 1;
  /* The auth plugins are loaded once here. libmariadb loads them on first use, and threads
   * that log in at the same moment race: the losers fail ("Plugin mysql_clear_password could
   * not be loaded: it is already loaded") or answer with "dummy_fallback_auth" and then send a
   * packet out of order. mysql_clear_password takes the token direct; caching_sha2_password
   * is the plugin the proxy's greeting names. */
  MYSQL *first = mysql_init(NULL);
  const char *plugins[] = {"mysql_clear_password", "caching_sha2_password"};
  for (size_t i = 0; first && i < sizeof plugins / sizeof *plugins; i++)
    if (!mysql_client_find_plugin(first, plugins[i], MYSQL_CLIENT_AUTHENTICATION_PLUGIN))
      fail(first, plugins[i]);
  mysql_close(first);
  pthread_t threads[256];
  if (clients < 1 || clients > 256)
    return 2;
  pthread_barrier_init(&ready, NULL, (unsigned)clients + 1);
  for (long i = 0; i < clients; i++)
    pthread_create(&threads[i], NULL, client, (void *)(size_t)i);
  pthread_barrier_wait(&ready);
  double start = now(), cpu_start = cpu();
  printf("go\n");
  fflush(stdout);
  usleep((useconds_t)(seconds * 1e6));
  atomic_store(&stop, 1);
  for (int i = 0; i < clients; i++)
    pthread_join(threads[i], NULL);
  printf("{\"count\": %ld, \"seconds\": %.6f, \"cpu\": %.6f}\n", atomic_load(&count),
         now() - start, cpu() - cpu_start);
  mysql_library_end();
  return 0;
}
