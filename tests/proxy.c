/* The fault-injecting proxy (proxy.h). One thread accepts; one thread per
 * connection relays whole protocol messages (a startup packet first from
 * the client, then type byte + length), counting them, and closes both
 * sides right after the armed message so the peer sees a lost connection
 * at exactly that point of the conversation. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proxy.h"

#define MAX_CONNS 256

struct proxy {
    char dir[64], upstream[128], dsn[256];
    int port, listen_fd;
    pthread_t acceptor;
    pthread_mutex_t mu;
    enum proxy_dir armed;
    int cut_after, count[3];
    bool cut, stopping;
    int nconns;
    pthread_t threads[MAX_CONNS];
    int fds[MAX_CONNS][2];
};

typedef struct relay {
    proxy *p;
    int client, server;
} relay;

static int unix_socket(const char *path, bool listening)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || strlen(path) >= sizeof a.sun_path) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    strcpy(a.sun_path, path);
    if (listening ? bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0
                  : connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool read_full(int fd, char *buf, size_t n)
{
    while (n) {
        ssize_t r = read(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        buf += r;
        n -= (size_t)r;
    }
    return true;
}

static bool write_full(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

/* Moves one whole message from @from to @to; @typed: it has a type byte. */
static bool relay_message(int from, int to, bool typed)
{
    char head[5];
    size_t hl = typed ? 5 : 4;
    if (!read_full(from, head, hl))
        return false;
    uint32_t len = ((uint32_t)(unsigned char)head[hl - 4] << 24) |
                   ((uint32_t)(unsigned char)head[hl - 3] << 16) |
                   ((uint32_t)(unsigned char)head[hl - 2] << 8) | (uint32_t)(unsigned char)head[hl - 1];
    if (len < 4 || len > (1u << 30))
        return false;
    char *body = malloc(len - 4 + 1);
    bool ok = body && read_full(from, body, len - 4) && write_full(to, head, hl) &&
              write_full(to, body, len - 4);
    free(body);
    return ok;
}

/* Counts a relayed message; true when the connection must be cut now. */
static bool counted(proxy *p, enum proxy_dir d)
{
    bool cut = false;
    pthread_mutex_lock(&p->mu);
    p->count[d]++;
    if (p->armed == d && !p->cut && p->count[d] == p->cut_after)
        cut = p->cut = true;
    pthread_mutex_unlock(&p->mu);
    return cut;
}

static void *relay_main(void *arg)
{
    relay r = *(relay *)arg;
    bool started = false;
    free(arg);
    for (;;) {
        struct pollfd pf[2] = {{r.client, POLLIN, 0}, {r.server, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[0].revents) {
            if (!relay_message(r.client, r.server, started))
                break;
            started = true;
            if (counted(r.p, PROXY_TO_SERVER))
                break;
        }
        if (pf[1].revents) {
            if (!relay_message(r.server, r.client, true))
                break;
            if (counted(r.p, PROXY_TO_CLIENT))
                break;
        }
    }
    shutdown(r.client, SHUT_RDWR);
    shutdown(r.server, SHUT_RDWR);
    return NULL;
}

static void *accept_main(void *arg)
{
    proxy *p = arg;
    char up[200];
    snprintf(up, sizeof up, "%s/.s.PGSQL.%d", p->upstream, p->port);
    for (;;) {
        int c = accept(p->listen_fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        int s = unix_socket(up, false);
        relay *r = malloc(sizeof *r);
        pthread_mutex_lock(&p->mu);
        if (s < 0 || !r || p->stopping || p->nconns == MAX_CONNS) {
            pthread_mutex_unlock(&p->mu);
            close(c);
            if (s >= 0)
                close(s);
            free(r);
            continue;
        }
        *r = (relay){p, c, s};
        p->fds[p->nconns][0] = c;
        p->fds[p->nconns][1] = s;
        pthread_create(&p->threads[p->nconns++], NULL, relay_main, r);
        pthread_mutex_unlock(&p->mu);
    }
}

proxy *proxy_start(const char *upstream_dir, int port)
{
    proxy *p;
    char path[128];
    if (!upstream_dir || upstream_dir[0] != '/')
        return NULL;
    p = calloc(1, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "/tmp/strata-px-XXXXXX");
    if (!mkdtemp(p->dir)) {
        free(p);
        return NULL;
    }
    snprintf(p->upstream, sizeof p->upstream, "%s", upstream_dir);
    p->port = port;
    snprintf(path, sizeof path, "%s/.s.PGSQL.%d", p->dir, port);
    p->listen_fd = unix_socket(path, true);
    pthread_mutex_init(&p->mu, NULL);
    if (p->listen_fd < 0 || pthread_create(&p->acceptor, NULL, accept_main, p) != 0) {
        rmdir(p->dir);
        free(p);
        return NULL;
    }
    return p;
}

const char *proxy_dsn(proxy *p, const char *dbname)
{
    snprintf(p->dsn, sizeof p->dsn, "host=%s port=%d user=postgres dbname=%s", p->dir, p->port,
             dbname);
    return p->dsn;
}

void proxy_arm(proxy *p, enum proxy_dir dir, int k)
{
    pthread_mutex_lock(&p->mu);
    p->armed = dir;
    p->cut_after = k;
    p->cut = false;
    p->count[0] = p->count[1] = p->count[2] = 0;
    pthread_mutex_unlock(&p->mu);
}

bool proxy_cut(proxy *p)
{
    pthread_mutex_lock(&p->mu);
    bool c = p->cut;
    pthread_mutex_unlock(&p->mu);
    return c;
}

int proxy_count(proxy *p, enum proxy_dir dir)
{
    pthread_mutex_lock(&p->mu);
    int n = p->count[dir];
    pthread_mutex_unlock(&p->mu);
    return n;
}

void proxy_stop(proxy *p)
{
    char path[128];
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_mutex_unlock(&p->mu);
    shutdown(p->listen_fd, SHUT_RDWR);
    pthread_join(p->acceptor, NULL);
    close(p->listen_fd);
    for (int i = 0; i < p->nconns; i++) {
        shutdown(p->fds[i][0], SHUT_RDWR);
        shutdown(p->fds[i][1], SHUT_RDWR);
        pthread_join(p->threads[i], NULL);
        close(p->fds[i][0]);
        close(p->fds[i][1]);
    }
    snprintf(path, sizeof path, "%s/.s.PGSQL.%d", p->dir, p->port);
    unlink(path);
    rmdir(p->dir);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
