// Batched UDP socket I/O for Linux on Node-API: recvmmsg into one preallocated buffer, sendmmsg from one arena.
// No DNS here: bytes, lengths and addresses only. JavaScript owns every buffer (typed arrays handed over at open,
// kept alive by references until close); this file only checks their sizes and reads/writes inside them.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define ADDR_BYTES 16
#define MAX_BATCH 1024
#define MAX_SLOT 65536
#define MAX_DATAGRAM 65535
#define RECV_ROUNDS 8
#define DRAIN_CHUNK 64

// stats slots shared with JavaScript (a Float64Array): keep in step with udp-addon.ts
enum { ST_RECEIVED, ST_SENT, ST_QUEUED_NOW, ST_QUEUED_TOTAL, ST_QUEUE_DROPPED, ST_SEND_ERRORS, ST_RECV_ERRORS,
       ST_TRUNCATED, ST_BATCHES, ST_COUNT };
// rx flag bits per datagram
#define RX_TRUNCATED 1

enum { REF_RX_BUF, REF_RX_LEN, REF_RX_ADDR, REF_RX_PORT, REF_RX_FLAGS, REF_TX_BUF, REF_TX_OFF, REF_TX_LEN,
       REF_TX_ADDR, REF_TX_PORT, REF_STATS, REF_ON_BATCH, REF_COUNT };

typedef struct {
  uint8_t *data;
  uint32_t len;
  struct sockaddr_storage to;
  socklen_t tolen;
} pending_t;

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int family;
  int events;
  int closing;
  // the struct is freed once libuv has closed the poll handle AND the JavaScript handle is garbage-collected
  int uv_closed;
  int finalized;
  napi_ref refs[REF_COUNT];
  napi_async_context actx;
  double *stats;
  // receive side: `batch` slots of `slot` bytes each
  uint8_t *rx_buf;
  uint32_t slot, batch;
  uint32_t *rx_len;
  uint8_t *rx_addr;
  uint16_t *rx_port;
  uint8_t *rx_flags;
  struct mmsghdr *rx_msgs;
  struct iovec *rx_iov;
  struct sockaddr_storage *rx_names;
  // send side: `tx_cap` entries pointing into one arena
  uint8_t *tx_buf;
  size_t tx_buf_len;
  uint32_t tx_cap;
  uint32_t *tx_off, *tx_len;
  uint8_t *tx_addr;
  uint16_t *tx_port;
  struct mmsghdr *tx_msgs;
  struct iovec *tx_iov;
  struct sockaddr_storage *tx_names;
  // answers the kernel would not take yet (EAGAIN), sent again when the socket is writable
  pending_t *queue;
  uint32_t q_cap, q_head, q_count;
} sock_t;

#define CHECK(call)                                                                                              \
  do {                                                                                                           \
    if ((call) != napi_ok) return throw_last(env);                                                               \
  } while (0)

static napi_value throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "DNSWARD_ERR_NATIVE", info && info->error_message ? info->error_message : "napi");
  return NULL;
}

static napi_value throw_msg(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name ? name : "EIO", msg);
  return NULL;
}

/** A typed array property of `obj` of the given type holding at least `min_bytes`; referenced in s->refs[slot]. */
static int take_array(napi_env env, sock_t *s, napi_value obj, const char *name, napi_typedarray_type want,
                      size_t min_bytes, int slot, void **data, size_t *bytes) {
  napi_value v;
  bool is_ta = false;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_is_typedarray(env, v, &is_ta) != napi_ok ||
      !is_ta) {
    throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", name);
    return 0;
  }
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset) != napi_ok || type != want) {
    throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", name);
    return 0;
  }
  size_t elem = type == napi_uint8_array ? 1 : type == napi_uint16_array ? 2 : type == napi_uint32_array ? 4 : 8;
  *bytes = length * elem;
  if (*bytes < min_bytes) {
    throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", name);
    return 0;
  }
  if (napi_create_reference(env, v, 1, &s->refs[slot]) != napi_ok) {
    throw_last(env);
    return 0;
  }
  return 1;
}

static int get_u32(napi_env env, napi_value obj, const char *name, uint32_t *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_uint32(env, v, out) != napi_ok) {
    throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", name);
    return 0;
  }
  return 1;
}

static void release(sock_t *s) {
  for (int i = 0; i < REF_COUNT; i++)
    if (s->refs[i]) {
      napi_delete_reference(s->env, s->refs[i]);
      s->refs[i] = NULL;
    }
}

static void free_parts(sock_t *s) {
  if (s->queue) {
    for (uint32_t i = 0; i < s->q_count; i++) free(s->queue[(s->q_head + i) % s->q_cap].data);
    free(s->queue);
  }
  s->queue = NULL;
  s->q_count = 0;
  free(s->rx_msgs);
  free(s->rx_iov);
  free(s->rx_names);
  free(s->tx_msgs);
  free(s->tx_iov);
  free(s->tx_names);
  s->rx_msgs = NULL;
  s->rx_iov = NULL;
  s->rx_names = NULL;
  s->tx_msgs = NULL;
  s->tx_iov = NULL;
  s->tx_names = NULL;
}

static void free_sock(sock_t *s) {
  free_parts(s);
  free(s);
}

static void on_poll(uv_poll_t *handle, int status, int events);

static void watch(sock_t *s, int events) {
  if (s->closing || events == s->events) return;
  s->events = events;
  uv_poll_start(&s->poll, events, on_poll);
}

/** Fills a sockaddr for entry i of the tx arrays; 0 when the port is 0 (nowhere to send). */
static socklen_t tx_name(sock_t *s, uint32_t i, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  uint16_t port = s->tx_port[i];
  if (port == 0) return 0;
  if (s->family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    memcpy(&a->sin_addr, s->tx_addr + (size_t)i * ADDR_BYTES, 4);
    return sizeof *a;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  memcpy(&a->sin6_addr, s->tx_addr + (size_t)i * ADDR_BYTES, 16);
  return sizeof *a;
}

/** Copies one answer into the retry queue; counted as dropped when the queue is full (never silently). */
static void enqueue(sock_t *s, const uint8_t *data, uint32_t len, const struct sockaddr_storage *to, socklen_t tolen) {
  if (s->q_count >= s->q_cap) {
    s->stats[ST_QUEUE_DROPPED]++;
    return;
  }
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) {
    s->stats[ST_QUEUE_DROPPED]++;
    return;
  }
  memcpy(copy, data, len);
  pending_t *p = &s->queue[(s->q_head + s->q_count) % s->q_cap];
  p->data = copy;
  p->len = len;
  p->to = *to;
  p->tolen = tolen;
  s->q_count++;
  s->stats[ST_QUEUED_TOTAL]++;
  s->stats[ST_QUEUED_NOW] = s->q_count;
}

static int retryable(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

/** Sends queued answers in order until the queue is empty or the kernel pushes back. */
static void drain(sock_t *s) {
  struct mmsghdr msgs[DRAIN_CHUNK];
  struct iovec iov[DRAIN_CHUNK];
  while (s->q_count > 0) {
    uint32_t n = s->q_count < DRAIN_CHUNK ? s->q_count : DRAIN_CHUNK;
    memset(msgs, 0, sizeof msgs);
    for (uint32_t i = 0; i < n; i++) {
      pending_t *p = &s->queue[(s->q_head + i) % s->q_cap];
      iov[i].iov_base = p->data;
      iov[i].iov_len = p->len;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &p->to;
      msgs[i].msg_hdr.msg_namelen = p->tolen;
    }
    int r = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT);
    uint32_t done;
    if (r > 0) {
      done = (uint32_t)r;
      s->stats[ST_SENT] += r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && retryable(errno)) {
      break;
    } else {
      done = 1;  // this datagram cannot be sent (e.g. EPERM, EMSGSIZE): counted, the rest go on
      s->stats[ST_SEND_ERRORS]++;
    }
    for (uint32_t i = 0; i < done; i++) free(s->queue[(s->q_head + i) % s->q_cap].data);
    s->q_head = (s->q_head + done) % s->q_cap;
    s->q_count -= done;
  }
  s->stats[ST_QUEUED_NOW] = s->q_count;
  watch(s, s->q_count > 0 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

static void receive(sock_t *s) {
  napi_env env = s->env;
  for (int round = 0; round < RECV_ROUNDS && !s->closing; round++) {
    for (uint32_t i = 0; i < s->batch; i++) {
      s->rx_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
      s->rx_msgs[i].msg_hdr.msg_flags = 0;
      s->rx_msgs[i].msg_len = 0;
    }
    int n = recvmmsg(s->fd, s->rx_msgs, s->batch, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (!retryable(errno)) s->stats[ST_RECV_ERRORS]++;
      return;
    }
    if (n == 0) return;
    for (int i = 0; i < n; i++) {
      struct msghdr *h = &s->rx_msgs[i].msg_hdr;
      uint32_t len = s->rx_msgs[i].msg_len;
      uint8_t flags = 0;
      if ((h->msg_flags & MSG_TRUNC) || len > s->slot) {
        flags |= RX_TRUNCATED;
        s->stats[ST_TRUNCATED]++;
        if (len > s->slot) len = s->slot;
      }
      uint8_t *addr = s->rx_addr + (size_t)i * ADDR_BYTES;
      memset(addr, 0, ADDR_BYTES);
      uint16_t port = 0;
      struct sockaddr_storage *name = &s->rx_names[i];
      if (name->ss_family == AF_INET && h->msg_namelen >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in *a = (struct sockaddr_in *)name;
        memcpy(addr, &a->sin_addr, 4);
        port = ntohs(a->sin_port);
      } else if (name->ss_family == AF_INET6 && h->msg_namelen >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)name;
        memcpy(addr, &a->sin6_addr, 16);
        port = ntohs(a->sin6_port);
      }
      s->rx_len[i] = len;
      s->rx_port[i] = port;  // 0 = unknown source: JavaScript drops it
      s->rx_flags[i] = flags;
    }
    s->stats[ST_RECEIVED] += n;
    s->stats[ST_BATCHES]++;

    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value cb, recv, count, result;
    if (napi_get_reference_value(env, s->refs[REF_ON_BATCH], &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
        napi_create_uint32(env, (uint32_t)n, &count) == napi_ok) {
      napi_status st = napi_make_callback(env, s->actx, recv, cb, 1, &count, &result);
      if (st == napi_pending_exception) {
        napi_value err;
        if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
      }
    }
    napi_close_handle_scope(env, scope);
    if ((uint32_t)n < s->batch) return;
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  sock_t *s = handle->data;
  if (s->closing) return;
  if (status < 0) {
    s->stats[ST_RECV_ERRORS]++;
    return;
  }
  if (events & UV_WRITABLE) drain(s);
  if (!s->closing && (events & UV_READABLE)) receive(s);
}

static void on_closed(uv_handle_t *handle) {
  sock_t *s = handle->data;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  free_parts(s);
  s->uv_closed = 1;
  if (s->finalized) free(s);
}

/** The JavaScript handle is gone; only plain memory is touched here. */
static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sock_t *s = data;
  s->finalized = 1;
  if (s->uv_closed) free(s);
}

static sock_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok || !p) {
    throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "not a socket handle");
    return NULL;
  }
  sock_t *s = p;
  if (s->closing) {
    throw_msg(env, "DNSWARD_ERR_NATIVE_CLOSED", "socket closed");
    return NULL;
  }
  return s;
}

/** open({ family, host, port, recvBufferBytes, sendBufferBytes, slot, batch, txCap, queueLimit, rxBuf, ..., onBatch }) -> [handle, port] */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts;
  CHECK(napi_get_cb_info(env, info, &argc, &opts, NULL, NULL));
  if (argc < 1) return throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "options");
  uint32_t family, port, rcvbuf, sndbuf, slot, batch, tx_cap, q_limit;
  if (!get_u32(env, opts, "family", &family) || !get_u32(env, opts, "port", &port) ||
      !get_u32(env, opts, "recvBufferBytes", &rcvbuf) || !get_u32(env, opts, "sendBufferBytes", &sndbuf) || !get_u32(env, opts, "slot", &slot) ||
      !get_u32(env, opts, "batch", &batch) || !get_u32(env, opts, "txCap", &tx_cap) ||
      !get_u32(env, opts, "queueLimit", &q_limit))
    return NULL;
  if ((family != 4 && family != 6) || port > 65535 || slot < 512 || slot > MAX_SLOT || batch < 1 ||
      batch > MAX_BATCH || tx_cap < 1 || tx_cap > MAX_BATCH || q_limit < 1 || q_limit > (1u << 22) || rcvbuf > (1u << 30) || sndbuf > (1u << 30))
    return throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "option out of range");
  char host[INET6_ADDRSTRLEN + 1];
  size_t host_len = 0;
  napi_value hv;
  CHECK(napi_get_named_property(env, opts, "host", &hv));
  if (napi_get_value_string_utf8(env, hv, host, sizeof host, &host_len) != napi_ok || host_len >= sizeof host - 1)
    return throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "host");
  struct sockaddr_storage bind_addr;
  memset(&bind_addr, 0, sizeof bind_addr);
  socklen_t bind_len;
  int af = family == 4 ? AF_INET : AF_INET6;
  if (af == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&bind_addr;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_msg(env, "EINVAL", "not an IPv4 address");
    bind_len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&bind_addr;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_msg(env, "EINVAL", "not an IPv6 address");
    bind_len = sizeof *a;
  }

  sock_t *s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, ENOMEM, "calloc");
  s->env = env;
  s->fd = -1;
  s->family = af;
  s->slot = slot;
  s->batch = batch;
  s->tx_cap = tx_cap;
  s->q_cap = q_limit;
  void *p;
  size_t bytes;
#define TAKE(name, type, min, slotref, field)                                                                    \
  do {                                                                                                           \
    if (!take_array(env, s, opts, name, type, min, slotref, &p, &bytes)) goto fail;                              \
    s->field = p;                                                                                                \
  } while (0)
  TAKE("rxBuf", napi_uint8_array, (size_t)slot * batch, REF_RX_BUF, rx_buf);
  TAKE("rxLen", napi_uint32_array, (size_t)batch * 4, REF_RX_LEN, rx_len);
  TAKE("rxAddr", napi_uint8_array, (size_t)batch * ADDR_BYTES, REF_RX_ADDR, rx_addr);
  TAKE("rxPort", napi_uint16_array, (size_t)batch * 2, REF_RX_PORT, rx_port);
  TAKE("rxFlags", napi_uint8_array, (size_t)batch, REF_RX_FLAGS, rx_flags);
  TAKE("txBuf", napi_uint8_array, 1, REF_TX_BUF, tx_buf);
  s->tx_buf_len = bytes;
  TAKE("txOff", napi_uint32_array, (size_t)tx_cap * 4, REF_TX_OFF, tx_off);
  TAKE("txLen", napi_uint32_array, (size_t)tx_cap * 4, REF_TX_LEN, tx_len);
  TAKE("txAddr", napi_uint8_array, (size_t)tx_cap * ADDR_BYTES, REF_TX_ADDR, tx_addr);
  TAKE("txPort", napi_uint16_array, (size_t)tx_cap * 2, REF_TX_PORT, tx_port);
  TAKE("stats", napi_float64_array, ST_COUNT * 8, REF_STATS, stats);
#undef TAKE
  napi_value cb;
  napi_valuetype cbt;
  if (napi_get_named_property(env, opts, "onBatch", &cb) != napi_ok || napi_typeof(env, cb, &cbt) != napi_ok ||
      cbt != napi_function) {
    throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "onBatch");
    goto fail;
  }
  if (napi_create_reference(env, cb, 1, &s->refs[REF_ON_BATCH]) != napi_ok) goto fail_last;

  s->rx_msgs = calloc(batch, sizeof *s->rx_msgs);
  s->rx_iov = calloc(batch, sizeof *s->rx_iov);
  s->rx_names = calloc(batch, sizeof *s->rx_names);
  s->tx_msgs = calloc(tx_cap, sizeof *s->tx_msgs);
  s->tx_iov = calloc(tx_cap, sizeof *s->tx_iov);
  s->tx_names = calloc(tx_cap, sizeof *s->tx_names);
  s->queue = calloc(q_limit, sizeof *s->queue);
  if (!s->rx_msgs || !s->rx_iov || !s->rx_names || !s->tx_msgs || !s->tx_iov || !s->tx_names || !s->queue) {
    throw_errno(env, ENOMEM, "calloc");
    goto fail;
  }
  for (uint32_t i = 0; i < batch; i++) {
    s->rx_iov[i].iov_base = s->rx_buf + (size_t)i * slot;
    s->rx_iov[i].iov_len = slot;
    s->rx_msgs[i].msg_hdr.msg_iov = &s->rx_iov[i];
    s->rx_msgs[i].msg_hdr.msg_iovlen = 1;
    s->rx_msgs[i].msg_hdr.msg_name = &s->rx_names[i];
  }

  s->fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) {
    throw_errno(env, errno, "socket");
    goto fail;
  }
  int one = 1;
  int size = (int)rcvbuf;
  int send_size = (int)sndbuf;
  if ((af == AF_INET6 && setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      (rcvbuf > 0 && setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) ||
      (sndbuf > 0 && setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &send_size, sizeof send_size) != 0)) {
    throw_errno(env, errno, "setsockopt");
    goto fail;
  }
  if (bind(s->fd, (struct sockaddr *)&bind_addr, bind_len) != 0) {
    throw_errno(env, errno, "bind");
    goto fail;
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  if (getsockname(s->fd, (struct sockaddr *)&bound, &bound_len) != 0) {
    throw_errno(env, errno, "getsockname");
    goto fail;
  }
  uint32_t bound_port = ntohs(af == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                            : ((struct sockaddr_in6 *)&bound)->sin6_port);

  uv_loop_t *loop;
  napi_value resource_name;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_string_utf8(env, "dnsward:udp-batch", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &s->actx) != napi_ok)
    goto fail_last;
  int rc = uv_poll_init_socket(loop, &s->poll, s->fd);
  if (rc != 0) {
    throw_errno(env, -rc, "uv_poll_init_socket");
    napi_async_destroy(env, s->actx);
    goto fail;
  }
  s->poll.data = s;
  s->events = 0;
  watch(s, UV_READABLE);

  napi_value handle, port_v, out;
  if (napi_create_external(env, s, on_finalize, NULL, &handle) != napi_ok || napi_create_uint32(env, bound_port, &port_v) != napi_ok ||
      napi_create_array_with_length(env, 2, &out) != napi_ok || napi_set_element(env, out, 0, handle) != napi_ok ||
      napi_set_element(env, out, 1, port_v) != napi_ok) {
    // the poll handle exists now: close through libuv
    s->closing = 1;
    uv_poll_stop(&s->poll);
    napi_async_destroy(env, s->actx);
    release(s);
    uv_close((uv_handle_t *)&s->poll, on_closed);
    return throw_last(env);
  }
  return out;

fail_last:
  throw_last(env);
fail:
  release(s);
  if (s->fd >= 0) close(s->fd);
  free_sock(s);
  return NULL;
}

/** send(handle, count): entries 0..count-1 of the tx arrays, in one sendmmsg; what the kernel refuses is queued. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "send(handle, count)");
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  uint32_t count;
  CHECK(napi_get_value_uint32(env, argv[1], &count));
  if (count > s->tx_cap) return throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "count exceeds txCap");
  // every entry is checked before anything is sent
  for (uint32_t i = 0; i < count; i++) {
    uint64_t off = s->tx_off[i], len = s->tx_len[i];
    if (len == 0 || len > MAX_DATAGRAM || off + len > s->tx_buf_len)
      return throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "tx entry outside the arena");
  }
  uint32_t used = 0;
  for (uint32_t i = 0; i < count; i++) {
    socklen_t tolen = tx_name(s, i, &s->tx_names[used]);
    if (tolen == 0) {
      s->stats[ST_SEND_ERRORS]++;
      continue;
    }
    struct mmsghdr *m = &s->tx_msgs[used];
    memset(m, 0, sizeof *m);
    s->tx_iov[used].iov_base = s->tx_buf + s->tx_off[i];
    s->tx_iov[used].iov_len = s->tx_len[i];
    m->msg_hdr.msg_iov = &s->tx_iov[used];
    m->msg_hdr.msg_iovlen = 1;
    m->msg_hdr.msg_name = &s->tx_names[used];
    m->msg_hdr.msg_namelen = tolen;
    used++;
  }
  uint32_t sent = 0;
  // answers queued earlier go first: once the kernel pushed back, new ones join the queue
  while (sent < used && s->q_count == 0) {
    int r = sendmmsg(s->fd, s->tx_msgs + sent, used - sent, MSG_DONTWAIT);
    if (r > 0) {
      sent += (uint32_t)r;
      s->stats[ST_SENT] += r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && retryable(errno)) {
      break;
    } else {
      sent++;  // this one datagram is refused for good: counted, the rest go on
      s->stats[ST_SEND_ERRORS]++;
    }
  }
  for (uint32_t i = sent; i < used; i++) {
    struct msghdr *h = &s->tx_msgs[i].msg_hdr;
    enqueue(s, h->msg_iov->iov_base, (uint32_t)h->msg_iov->iov_len, h->msg_name, h->msg_namelen);
  }
  if (s->q_count > 0) watch(s, UV_READABLE | UV_WRITABLE);
  napi_value out;
  CHECK(napi_create_uint32(env, sent, &out));
  return out;
}

/** close(handle): stops polling at once; the descriptor is closed when libuv has let go of the poll handle. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_msg(env, "DNSWARD_ERR_NATIVE_ARGS", "close(handle)");
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  napi_async_destroy(env, s->actx);
  release(s);
  uv_close((uv_handle_t *)&s->poll, on_closed);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
