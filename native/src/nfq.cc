// quell_nfq: an NFQUEUE consumer for Node, speaking nfnetlink_queue over a raw netlink socket.
//
// Why no libnetfilter_queue / libmnl: the kernel's UAPI headers are all we need, the legacy
// libnetfilter_queue API is deprecated and callback-driven (one recv -> one callback), and owning
// the socket lets us recvmmsg() straight into a buffer JS already sees and send a whole batch of
// verdicts with one sendmmsg(). See docs/inline.md and shared research limits.md section 6.
//
// Threading: a Queue object belongs to the JS thread (main or worker_threads Worker) that created
// it; the addon keeps no global state, so it is context-aware and loads in every worker.
//
// Buffer ownership (the seam with src/io/nfqueue.ts):
//   - JS allocates `data` (ArrayBuffer, maxBatch * slotSize bytes), `desc` (Uint32Array,
//     maxBatch * DESC_STRIDE) and `verdict` (Uint32Array, maxBatch * 2) and hands them to the
//     constructor; the Queue keeps references so they live as long as it does.
//   - recv() overwrites all three regions' first n entries; the packet bytes stay valid until the
//     next recv() (JS must call verdict(n) before that; see PacketBatch's contract).
//   - Each received netlink datagram lands in its own slot; D_OFF points at the NFQA_PAYLOAD
//     bytes inside the slot (4-byte aligned): no copy after the kernel's.

#include <napi.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <string>
#include <vector>

namespace {

// Netfilter verdicts (linux/netfilter.h values; defined here to avoid its in.h clashes with libc).
constexpr uint32_t kNfDrop = 0, kNfAccept = 1, kNfQueue = 3, kNfRepeat = 4;

// Descriptor layout: must match src/io/batch.ts.
constexpr uint32_t DESC_STRIDE = 12;
constexpr uint32_t D_OFF = 0, D_CAPLEN = 1, D_WIRELEN = 2, D_TS_SEC = 3, D_TS_NSEC = 4, D_LINK = 5,
                   D_ID = 6, D_MARK = 7, D_IFINDEX = 8, D_HOOK = 9, D_QUEUE = 10, D_FLAGS = 11;
constexpr uint32_t F_CSUM_NOT_READY = 1, F_GSO = 2, F_OUTBOUND = 4;
constexpr uint32_t LINKTYPE_RAW = 101;

// Verdict wire words (written by src/io/nfqueue.ts from the engine's kinds):
//   w0: bits 0..7 netfilter verdict, bit 8 send NFQA_MARK = w1, bit 9 send the (rewritten) payload,
//       bits 16..31 target queue for NF_QUEUE.
constexpr uint32_t W_MARK = 0x100, W_PAYLOAD = 0x200;

// Named limits.
constexpr size_t kSendChunkBytes = 128 * 1024;   // one datagram stays well under the default sndbuf
constexpr size_t kMaxIovPerMsg = 1000;            // < UIO_MAXIOV (1024)
constexpr int kAckTimeoutMs = 2000;                // waiting for the kernel's ack at setup
constexpr int kSendRetries = 3;

constexpr uint32_t kMsgHdrSpace = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
// one verdict message without payload: hdr + VERDICT_HDR attr + MARK attr + PAYLOAD attr header
constexpr uint32_t kVerdictMsgMax = kMsgHdrSpace + NLA_HDRLEN + NLA_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)) +
                                    NLA_HDRLEN + 4 + NLA_HDRLEN;

Napi::Error CodedError(Napi::Env env, const char* code, int err, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  if (err) e.Set("syscallError", Napi::String::New(env, strerror(err)));
  return e;
}

inline uint16_t rd16be(const uint8_t* p) { return (uint16_t)((p[0] << 8) | p[1]); }
inline uint32_t rd32be(const uint8_t* p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
inline uint64_t rd64be(const uint8_t* p) { return ((uint64_t)rd32be(p) << 32) | rd32be(p + 4); }
inline void wr16be(uint8_t* p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }

// ---- checksums (RFC 1071), used for replaced payloads -----------------------------------------
uint32_t csumAdd(uint32_t sum, const uint8_t* p, size_t len) {
  while (len > 1) { sum += (uint32_t)((p[0] << 8) | p[1]); p += 2; len -= 2; }
  if (len) sum += (uint32_t)(p[0] << 8);
  return sum;
}
uint16_t csumFold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

// Recompute the IPv4 header checksum and the TCP/UDP checksum (IPv4 or IPv6 pseudo-header) of a
// packet rewritten in place. Returns false when the packet cannot be fixed (fragment, truncated,
// unknown layout); the caller then refuses the rewrite.
bool fixChecksums(uint8_t* p, uint32_t len) {
  if (len < 1) return false;
  uint32_t ver = p[0] >> 4;
  uint32_t l4off = 0, l4len = 0, proto = 0;
  uint32_t pseudo = 0;
  if (ver == 4) {
    if (len < 20) return false;
    uint32_t ihl = (p[0] & 0x0f) * 4;
    uint32_t tot = rd16be(p + 2);
    if (ihl < 20 || tot < ihl || tot > len) return false;
    p[10] = p[11] = 0;
    wr16be(p + 10, csumFold(csumAdd(0, p, ihl)));
    uint16_t frag = rd16be(p + 6);
    if (frag & 0x3fff) return true;   // fragment: L4 checksum spans the reassembled datagram; header fixed only
    proto = p[9]; l4off = ihl; l4len = tot - ihl;
    pseudo = csumAdd(0, p + 12, 8);
    pseudo += proto; pseudo += l4len;
  } else if (ver == 6) {
    if (len < 40) return false;
    uint32_t plen = rd16be(p + 4);
    if (40 + plen > len) return false;
    uint32_t nh = p[6], off = 40;
    for (int hops = 0; hops < 8; hops++) {     // bounded walk over extension headers
      if (nh == 0 || nh == 43 || nh == 60) {
        if (off + 8 > 40 + plen) return false;
        nh = p[off]; off += (p[off + 1] + 1) * 8;
      } else if (nh == 44) {
        return true;                             // fragment: nothing we can fix at L4
      } else break;
    }
    if (off > 40 + plen) return false;
    proto = nh; l4off = off; l4len = 40 + plen - off;
    pseudo = csumAdd(0, p + 8, 32);
    pseudo += (l4len >> 16) + (l4len & 0xffff); pseudo += proto;
  } else {
    return false;
  }
  uint8_t* l4 = p + l4off;
  if (proto == 6) {
    if (l4len < 20) return false;
    l4[16] = l4[17] = 0;
    wr16be(l4 + 16, csumFold(csumAdd(pseudo, l4, l4len)));
  } else if (proto == 17) {
    if (l4len < 8) return false;
    if (ver == 4 && rd16be(l4 + 6) == 0) return true;   // IPv4 UDP without checksum stays without
    l4[6] = l4[7] = 0;
    uint16_t c = csumFold(csumAdd(pseudo, l4, l4len));
    wr16be(l4 + 6, c == 0 ? 0xffff : c);
  }
  return true;
}

class Queue : public Napi::ObjectWrap<Queue> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Queue", {
      InstanceMethod<&Queue::Recv>("recv"),
      InstanceMethod<&Queue::Verdict>("verdict"),
      InstanceMethod<&Queue::Close>("close"),
      InstanceMethod<&Queue::Stats>("stats"),
    });
  }

  Queue(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Queue>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsObject() || !info[1].IsArrayBuffer() || !info[2].IsTypedArray() ||
        !info[3].IsTypedArray())
      throw CodedError(env, "QUELL_E_NFQ_ARGS", 0, "Queue(options, data: ArrayBuffer, desc: Uint32Array, verdict: Uint32Array)");
    Napi::Object o = info[0].As<Napi::Object>();
    auto num = [&](const char* k, double def) {
      Napi::Value v = o.Get(k);
      return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : def;
    };
    auto flag = [&](const char* k, bool def) {
      Napi::Value v = o.Get(k);
      return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : def;
    };
    qnum_ = (uint16_t)num("queue", 0);
    uint32_t maxlen = (uint32_t)num("maxlen", 4096);
    uint32_t copyRange = (uint32_t)num("copyRange", 0xffff);
    int rcvbuf = (int)num("rcvbuf", 64 << 20);
    bool failOpen = flag("failOpen", false);
    bool gso = flag("gso", true);
    bool conntrack = flag("conntrack", false);
    maxBatch_ = (uint32_t)num("maxBatch", 64);
    slot_ = (uint32_t)num("slotSize", 65536 + 1024);
    busyPollNs_ = (int64_t)(num("busyPollUs", 0) * 1000);
    slot_ &= ~3u;

    Napi::ArrayBuffer ab = info[1].As<Napi::ArrayBuffer>();
    Napi::Uint32Array d = info[2].As<Napi::Uint32Array>();
    Napi::Uint32Array v = info[3].As<Napi::Uint32Array>();
    if (maxBatch_ == 0 || slot_ < 1024 || ab.ByteLength() < (size_t)maxBatch_ * slot_ ||
        d.ElementLength() < (size_t)maxBatch_ * DESC_STRIDE || v.ElementLength() < (size_t)maxBatch_ * 2)
      throw CodedError(env, "QUELL_E_NFQ_ARGS", 0, "buffers too small for maxBatch/slotSize");
    data_ = (uint8_t*)ab.Data();
    desc_ = d.Data();
    verdict_ = v.Data();
    dataRef_ = Napi::Persistent(ab.As<Napi::Object>());
    descRef_ = Napi::Persistent(d.As<Napi::Object>());
    verdictRef_ = Napi::Persistent(v.As<Napi::Object>());

    rmsgs_.resize(maxBatch_);
    riov_.resize(maxBatch_);
    for (uint32_t i = 0; i < maxBatch_; i++) {
      riov_[i].iov_base = data_ + (size_t)i * slot_;
      riov_[i].iov_len = slot_;
      memset(&rmsgs_[i], 0, sizeof(rmsgs_[i]));
      rmsgs_[i].msg_hdr.msg_iov = &riov_[i];
      rmsgs_[i].msg_hdr.msg_iovlen = 1;
    }
    hdrs_.resize((size_t)(maxBatch_ + 4) * kVerdictMsgMax + 64);
    siov_.reserve((size_t)maxBatch_ * 3 + 8);

    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd_ < 0) {
      int e = errno;
      if (e == EPROTONOSUPPORT || e == EAFNOSUPPORT)
        throw CodedError(env, "QUELL_E_NFQ_MODULE", e, "netlink NETFILTER family unavailable: load the nfnetlink module (modprobe nfnetlink_queue)");
      if (e == EPERM || e == EACCES)
        throw CodedError(env, "QUELL_E_NFQ_PERM", e, "cannot open a netfilter netlink socket: run as root or grant CAP_NET_ADMIN");
      throw CodedError(env, "QUELL_E_NFQ_SOCKET", e, std::string("socket(AF_NETLINK): ") + strerror(e));
    }
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof(sa));
    sa.nl_family = AF_NETLINK;
    if (bind(fd_, (struct sockaddr*)&sa, sizeof(sa)) < 0) { int e = errno; CloseFd(); throw CodedError(env, "QUELL_E_NFQ_SOCKET", e, std::string("bind(netlink): ") + strerror(e)); }
    socklen_t sl = sizeof(sa);
    getsockname(fd_, (struct sockaddr*)&sa, &sl);
    portid_ = sa.nl_pid;
    int one = 1;
    // ENOBUFS means a packet was lost (or bypassed) because our receive buffer was full; the
    // kernel counts it (queue_user_dropped). It is never fatal: we count it and go on.
    setsockopt(fd_, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN (which binding needs anyway); bypasses net.core.rmem_max.
    if (rcvbuf > 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    int sndbuf = 4 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
      setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

    // 1. bind the queue
    {
      uint8_t* b = hdrs_.data();
      size_t len = PutHdr(b, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, qnum_);
      struct nfqnl_msg_config_cmd cmd;
      memset(&cmd, 0, sizeof(cmd));
      cmd.command = NFQNL_CFG_CMD_BIND;
      cmd.pf = htons(AF_UNSPEC);
      len = PutAttr(b, len, NFQA_CFG_CMD, &cmd, sizeof(cmd));
      int e = Transact(b, len);
      if (e) {
        CloseFd();
        if (e == EBUSY || e == EEXIST)
          throw CodedError(env, "QUELL_E_NFQ_BUSY", e, "queue " + std::to_string(qnum_) + " is already bound by another process (or another quell worker) in this network namespace: stop it or pick another --queues range");
        // The kernel answers EPERM both without CAP_NET_ADMIN and when another socket owns the
        // queue (its peer-portid check runs before the bind command): tell them apart by /proc.
        if (e == EPERM && QueueOwnedByOther())
          throw CodedError(env, "QUELL_E_NFQ_BUSY", e, "queue " + std::to_string(qnum_) + " is already bound by another process (or another quell worker) in this network namespace: stop it or pick another --queues range");
        if (e == EPERM || e == EACCES)
          throw CodedError(env, "QUELL_E_NFQ_PERM", e, "binding queue " + std::to_string(qnum_) + " was refused: run as root or grant CAP_NET_ADMIN (setcap cap_net_admin+ep $(which node))");
        if (e == EINVAL || e == EOPNOTSUPP || e == ENOENT || e == EPROTONOSUPPORT)
          throw CodedError(env, "QUELL_E_NFQ_MODULE", e, "the kernel did not accept the NFQUEUE bind (" + std::string(strerror(e)) + "): load the module with `modprobe nfnetlink_queue`");
        if (e == ETIMEDOUT)
          throw CodedError(env, "QUELL_E_NFQ_TIMEOUT", e, "the kernel did not answer the NFQUEUE bind within 2 s");
        throw CodedError(env, "QUELL_E_NFQ_BIND", e, "binding queue " + std::to_string(qnum_) + ": " + strerror(e));
      }
    }
    // 2. copy mode/range, queue length, flags (flags last: an old kernel refuses unknown ones)
    {
      uint8_t* b = hdrs_.data();
      size_t len = PutHdr(b, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, qnum_);
      struct nfqnl_msg_config_params params;
      memset(&params, 0, sizeof(params));
      params.copy_range = htonl(copyRange);
      params.copy_mode = NFQNL_COPY_PACKET;
      len = PutAttr(b, len, NFQA_CFG_PARAMS, &params, sizeof(params));
      uint32_t ml = htonl(maxlen);
      len = PutAttr(b, len, NFQA_CFG_QUEUE_MAXLEN, &ml, 4);
      int e = Transact(b, len);
      if (e) { Unbind(); CloseFd(); throw CodedError(env, "QUELL_E_NFQ_CONFIG", e, std::string("configuring queue parameters: ") + strerror(e)); }
    }
    {
      uint8_t* b = hdrs_.data();
      size_t len = PutHdr(b, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, qnum_);
      uint32_t flags = (failOpen ? NFQA_CFG_F_FAIL_OPEN : 0) | (gso ? NFQA_CFG_F_GSO : 0) | (conntrack ? NFQA_CFG_F_CONNTRACK : 0);
      uint32_t mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK;
      uint32_t f = htonl(flags), m = htonl(mask);
      len = PutAttr(b, len, NFQA_CFG_FLAGS, &f, 4);
      len = PutAttr(b, len, NFQA_CFG_MASK, &m, 4);
      int e = Transact(b, len);
      if (e) {
        Unbind(); CloseFd();
        throw CodedError(env, "QUELL_E_NFQ_CONFIG", e, std::string("setting queue flags (fail-open/GSO/conntrack): ") + strerror(e) +
                         (e == EOPNOTSUPP ? " (kernel too old, or nf_conntrack_netlink missing for --conntrack)" : ""));
      }
    }
  }

  ~Queue() override { CloseFd(); }

 private:
  // ---- netlink message building ---------------------------------------------------------------
  size_t PutHdr(uint8_t* b, uint16_t type, uint16_t flags, uint16_t resId) {
    struct nlmsghdr* nlh = (struct nlmsghdr*)b;
    nlh->nlmsg_len = kMsgHdrSpace;
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = ++seq_;
    nlh->nlmsg_pid = 0;
    struct nfgenmsg* g = (struct nfgenmsg*)(b + NLMSG_HDRLEN);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    g->res_id = htons(resId);
    return kMsgHdrSpace;
  }
  // Appends an attribute to the message starting at b (which is `len` long); returns the new length.
  size_t PutAttr(uint8_t* b, size_t len, uint16_t type, const void* payload, uint16_t plen) {
    struct nlattr* a = (struct nlattr*)(b + len);
    a->nla_len = NLA_HDRLEN + plen;
    a->nla_type = type;
    memcpy(b + len + NLA_HDRLEN, payload, plen);
    size_t total = NLA_ALIGN(NLA_HDRLEN + plen);
    if (total > (size_t)(NLA_HDRLEN + plen)) memset(b + len + NLA_HDRLEN + plen, 0, total - NLA_HDRLEN - plen);
    len += total;
    ((struct nlmsghdr*)b)->nlmsg_len = (uint32_t)len;
    return len;
  }

  // Send one request with NLM_F_ACK and wait for its ack. Packet messages that arrive meanwhile
  // (the queue may already have traffic) are accepted at once and counted in setupAccepted.
  int Transact(uint8_t* b, size_t len) {
    uint32_t want = ((struct nlmsghdr*)b)->nlmsg_seq;
    struct sockaddr_nl to;
    memset(&to, 0, sizeof(to));
    to.nl_family = AF_NETLINK;
    if (sendto(fd_, b, len, 0, (struct sockaddr*)&to, sizeof(to)) < 0) return errno;
    uint8_t* rb = data_;   // slot 0 of the data buffer as scratch (nothing is in flight yet)
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int rounds = 0; rounds < 100000; rounds++) {
      clock_gettime(CLOCK_MONOTONIC, &t1);
      int left = kAckTimeoutMs - (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
      if (left <= 0) return ETIMEDOUT;
      struct pollfd p = {fd_, POLLIN, 0};
      int pr = poll(&p, 1, left);
      if (pr < 0 && errno == EINTR) continue;
      if (pr <= 0) return ETIMEDOUT;
      ssize_t r = recv(fd_, rb, slot_, MSG_DONTWAIT);
      if (r < 0) { if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue; return errno; }
      int rem = (int)r;
      for (struct nlmsghdr* nlh = (struct nlmsghdr*)rb; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem)) {
        if (nlh->nlmsg_type == NLMSG_ERROR) {
          struct nlmsgerr* er = (struct nlmsgerr*)NLMSG_DATA(nlh);
          if (nlh->nlmsg_seq == want) return er->error < 0 ? -er->error : er->error;
        } else if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE && (nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET) {
          uint32_t id;
          if (PacketId(nlh, &id)) { SendOne(id, kNfAccept); setupAccepted_++; if (id > lastId_) lastId_ = id; }
        }
      }
    }
    return ETIMEDOUT;
  }

  bool PacketId(struct nlmsghdr* nlh, uint32_t* id) {
    uint8_t* p = (uint8_t*)nlh + kMsgHdrSpace;
    uint8_t* end = (uint8_t*)nlh + nlh->nlmsg_len;
    while (p + NLA_HDRLEN <= end) {
      struct nlattr* a = (struct nlattr*)p;
      if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) break;
      if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR && a->nla_len >= NLA_HDRLEN + 4) { *id = rd32be(p + NLA_HDRLEN); return true; }
      p += NLA_ALIGN(a->nla_len);
    }
    return false;
  }

  void SendOne(uint32_t id, uint32_t verdict) {
    uint8_t b[64];
    size_t len = PutHdr(b, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT, NLM_F_REQUEST, qnum_);
    struct nfqnl_msg_verdict_hdr vh;
    vh.verdict = htonl(verdict);
    vh.id = htonl(id);
    len = PutAttr(b, len, NFQA_VERDICT_HDR, &vh, sizeof(vh));
    struct sockaddr_nl to;
    memset(&to, 0, sizeof(to));
    to.nl_family = AF_NETLINK;
    for (int i = 0; i < kSendRetries; i++) {
      if (sendto(fd_, b, len, 0, (struct sockaddr*)&to, sizeof(to)) >= 0) return;
      if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS) break;
    }
    sendErrors_++;
    lastSendErrno_ = errno;
  }

  void Unbind() {
    if (fd_ < 0) return;
    uint8_t b[64];
    size_t len = PutHdr(b, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG, NLM_F_REQUEST, qnum_);
    struct nfqnl_msg_config_cmd cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.command = NFQNL_CFG_CMD_UNBIND;
    len = PutAttr(b, len, NFQA_CFG_CMD, &cmd, sizeof(cmd));
    struct sockaddr_nl to;
    memset(&to, 0, sizeof(to));
    to.nl_family = AF_NETLINK;
    sendto(fd_, b, len, 0, (struct sockaddr*)&to, sizeof(to));
  }

  // Is our queue number listed in /proc/net/netfilter/nfnetlink_queue with another port id?
  bool QueueOwnedByOther() {
    FILE* f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
    if (!f) return false;
    unsigned q, pid;
    bool other = false;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
      if (sscanf(line, "%u %u", &q, &pid) == 2 && q == qnum_ && pid != portid_) { other = true; break; }
    }
    fclose(f);
    return other;
  }

  void CloseFd() {
    if (fd_ >= 0) { close(fd_); fd_ = -1; }
  }

  // ---- recv(timeoutMs, verdicts = 0) -> n -------------------------------------------------------
  // First, when verdicts > 0, sends the verdicts of the previous batch's first `verdicts`
  // descriptors (as verdict(verdicts) would): a worker that processes a batch and goes straight
  // back to recv crosses into native code once per batch instead of twice, and the verdicts still
  // leave before the thread blocks. Then waits up to timeoutMs for the first datagram and takes
  // whatever is queued, up to maxBatch, without waiting for more (recvmmsg + MSG_WAITFORONE;
  // timeout 0 = MSG_DONTWAIT; with busyPollUs, a blocking receive first spins, see BusyPoll).
  // Returns the number of packet descriptors written (0 on timeout /
  // nothing but acks); the descriptors and data of the previous batch are overwritten.
  Napi::Value Recv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw CodedError(env, "QUELL_E_NFQ_CLOSED", 0, "queue is closed");
    int timeoutMs = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    if (info.Length() > 1 && info[1].IsNumber()) {
      uint32_t nv = info[1].As<Napi::Number>().Uint32Value();
      if (nv > 0) SendVerdicts(nv);
    }
    // No reset of msg_flags/msg_len here: recvmmsg writes both for every datagram it returns, and
    // only those are read. (A reset loop touched maxBatch mmsghdrs, 64 cache lines, between a
    // verdict and the next blocking receive, i.e. while the woken receiver waits for this CPU.)
    int r;
    if (timeoutMs <= 0) {
      r = recvmmsg(fd_, rmsgs_.data(), maxBatch_, MSG_DONTWAIT, nullptr);
    } else if (busyPollNs_ > 0 && (r = BusyPoll()) != 0) {
      // datagrams (or an error) while spinning: no sleep, no wake-up
    } else {
      // One syscall per wake-up instead of poll() + recvmmsg(): block for the first datagram
      // (bounded by SO_RCVTIMEO, set only when the timeout changes), never wait for more.
      if (timeoutMs != rcvTimeoutMs_) {
        struct timeval tv = {timeoutMs / 1000, (timeoutMs % 1000) * 1000};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        rcvTimeoutMs_ = timeoutMs;
      }
      r = recvmmsg(fd_, rmsgs_.data(), maxBatch_, MSG_WAITFORONE, nullptr);
    }
    if (r < 0) {
      int e = errno;
      if (e == EAGAIN || e == EINTR) return Napi::Number::New(env, 0);
      if (e == ENOBUFS) { enobufs_++; return Napi::Number::New(env, 0); }
      throw CodedError(env, "QUELL_E_NFQ_RECV", e, std::string("recvmmsg: ") + strerror(e));
    }
    recvCalls_++;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint32_t n = 0;
    for (int i = 0; i < r; i++) {
      uint8_t* base = data_ + (size_t)i * slot_;
      int rem = (int)rmsgs_[i].msg_len;
      if (rmsgs_[i].msg_hdr.msg_flags & MSG_TRUNC) truncated_++;
      for (struct nlmsghdr* nlh = (struct nlmsghdr*)base; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem)) {
        if (nlh->nlmsg_type == NLMSG_ERROR) {
          struct nlmsgerr* er = (struct nlmsgerr*)NLMSG_DATA(nlh);
          if (er->error != 0) { verdictErrors_++; lastVerdictErrno_ = -er->error; }
          continue;
        }
        if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE || (nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET) continue;
        if (n >= maxBatch_) {   // cannot happen (one packet per datagram); never leave a packet unverdicted
          uint32_t id;
          if (PacketId(nlh, &id)) { SendOne(id, kNfAccept); overflowAccepted_++; }
          continue;
        }
        if (Parse(nlh, desc_ + (size_t)n * DESC_STRIDE, now)) n++;
        else malformed_++;
      }
    }
    packets_ += n;
    if (n > 0 && busyPollNs_ > 0) lastRecvNs_ = MonoNs();   // opens the busy-poll window
    if (n > 0) {
      uint32_t b = 0;
      while (b < 7 && (1u << (b + 1)) <= n) b++;   // buckets: 1, 2-3, 4-7, ..., 128+
      batchHist_[b]++;
    }
    lastN_ = n;
    return Napi::Number::New(env, n);
  }

  static int64_t MonoNs() {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
  }

  // Busy poll (option busyPollUs, `quell run --busy-poll US`): while the last datagram arrived
  // less than busyPollNs_ ago, receive with MSG_DONTWAIT in a loop instead of blocking. What it
  // avoids: the sleep/wake-up of this thread and the idle state of its CPU (on this VM a halted
  // vCPU costs tens of us to wake, and its caches come back cold); what it costs: this thread
  // keeps a CPU busy for up to busyPollUs after each packet (counted in busyNs). sched_yield()
  // between tries lets a task woken on the same CPU (the local receiver, a softirq thread) run at
  // once instead of waiting for the scheduler to preempt the spinner (without it the p99 RTT rose
  // by ~170 us in bench/inline). Returns >0 datagrams, <0 error, 0 = window over (then block).
  int BusyPoll() {
    int64_t t0 = MonoNs(), t = t0;
    int r = 0;
    for (;;) {
      r = recvmmsg(fd_, rmsgs_.data(), maxBatch_, MSG_DONTWAIT, nullptr);
      if (r > 0) { busyHits_++; break; }
      if (r < 0 && errno != EAGAIN && errno != EINTR) break;
      r = 0;
      t = MonoNs();
      if (t - lastRecvNs_ >= busyPollNs_) break;
      busySpins_++;
      sched_yield();
    }
    busyNs_ += (uint64_t)(t - t0);
    return r;
  }

  bool Parse(struct nlmsghdr* nlh, uint32_t* d, const struct timespec& now) {
    uint8_t* p = (uint8_t*)nlh + kMsgHdrSpace;
    uint8_t* end = (uint8_t*)nlh + nlh->nlmsg_len;
    bool haveId = false, haveTs = false, haveCap = false;
    uint32_t skbinfo = 0;
    d[D_OFF] = 0; d[D_CAPLEN] = 0; d[D_WIRELEN] = 0; d[D_MARK] = 0; d[D_IFINDEX] = 0; d[D_HOOK] = 0;
    d[D_LINK] = LINKTYPE_RAW; d[D_QUEUE] = qnum_; d[D_FLAGS] = 0;
    while (p + NLA_HDRLEN <= end) {
      struct nlattr* a = (struct nlattr*)p;
      if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) break;
      uint8_t* v = p + NLA_HDRLEN;
      uint32_t vl = a->nla_len - NLA_HDRLEN;
      switch (a->nla_type & NLA_TYPE_MASK) {
        case NFQA_PACKET_HDR:
          if (vl >= 7) { d[D_ID] = rd32be(v); d[D_HOOK] = v[6]; haveId = true; }
          break;
        case NFQA_MARK: if (vl >= 4) d[D_MARK] = rd32be(v); break;
        case NFQA_TIMESTAMP:
          if (vl >= 16) { d[D_TS_SEC] = (uint32_t)rd64be(v); d[D_TS_NSEC] = (uint32_t)(rd64be(v + 8) * 1000); haveTs = true; }
          break;
        case NFQA_IFINDEX_INDEV: if (vl >= 4) d[D_IFINDEX] = rd32be(v); break;
        case NFQA_PAYLOAD:
          d[D_OFF] = (uint32_t)(v - data_); d[D_CAPLEN] = vl;
          if (!haveCap) d[D_WIRELEN] = vl;
          break;
        case NFQA_CAP_LEN: if (vl >= 4) { d[D_WIRELEN] = rd32be(v); haveCap = true; } break;
        case NFQA_SKB_INFO: if (vl >= 4) skbinfo = rd32be(v); break;
        default: break;
      }
      p += NLA_ALIGN(a->nla_len);
    }
    if (!haveId) return false;
    if (!haveTs) { d[D_TS_SEC] = (uint32_t)now.tv_sec; d[D_TS_NSEC] = (uint32_t)now.tv_nsec; }
    uint32_t fl = 0;
    if (skbinfo & NFQA_SKB_CSUMNOTREADY) fl |= F_CSUM_NOT_READY;
    if (skbinfo & NFQA_SKB_GSO) fl |= F_GSO;
    if (d[D_HOOK] == 3 /* LOCAL_OUT */ || d[D_HOOK] == 4 /* POST_ROUTING */) fl |= F_OUTBOUND;
    d[D_FLAGS] = fl;
    uint32_t id = d[D_ID];
    // ids are assigned per queue instance from 1 (our bind created it), so a gap before the first
    // packet counts too: the kernel assigned those ids and never delivered them (socket full).
    if (id > lastId_ + 1) idGaps_ += id - lastId_ - 1;
    if (id > lastId_) lastId_ = id;
    return true;
  }

  // ---- verdict(n): send the verdicts of the first n descriptors in one syscall -------------------
  // A run of plain ACCEPTs (no mark, no payload) becomes one NFQNL_MSG_VERDICT_BATCH carrying the
  // run's last id: the kernel applies it to every queued id <= that id, which is exactly the run
  // because everything earlier was verdicted by messages placed before it in the same datagram
  // (nfnetlink processes a datagram's messages in order) or by an earlier verdict() call.
  // Everything else becomes one NFQNL_MSG_VERDICT per packet. All messages go out together with
  // one sendmmsg (usually one datagram); payloads are sent by iovec from the data buffer.
  Napi::Value Verdict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw CodedError(env, "QUELL_E_NFQ_CLOSED", 0, "queue is closed");
    uint32_t n = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : lastN_;
    return Napi::Number::New(env, SendVerdicts(n));
  }

  // The verdicts of the first n descriptors (verdict_ words written by JS), in one sendmmsg.
  // Returns the number of verdict messages. Send errors are counted, never thrown.
  uint32_t SendVerdicts(uint32_t n) {
    if (n > maxBatch_) n = maxBatch_;
    if (n == 0) return 0;
    siov_.clear();
    chunks_.clear();
    uint8_t* h = hdrs_.data();
    size_t hused = 0;
    size_t chunkStartIov = 0, chunkBytes = 0;
    uint32_t runLast = 0, runLen = 0;
    uint32_t msgs = 0;

    auto newChunkIfNeeded = [&](size_t addBytes, size_t addIov) {
      if (siov_.size() > chunkStartIov &&
          (chunkBytes + addBytes > kSendChunkBytes || siov_.size() - chunkStartIov + addIov > kMaxIovPerMsg)) {
        chunks_.push_back({chunkStartIov, siov_.size() - chunkStartIov});
        chunkStartIov = siov_.size();
        chunkBytes = 0;
      }
    };
    // appends header bytes [h+from, h+to) to the iovecs, merging with the previous iovec when contiguous
    auto pushHdr = [&](size_t from, size_t to) {
      if (siov_.size() > chunkStartIov) {
        iovec& last = siov_.back();
        if ((uint8_t*)last.iov_base + last.iov_len == h + from) { last.iov_len += to - from; chunkBytes += to - from; return; }
      }
      siov_.push_back({h + from, to - from});
      chunkBytes += to - from;
    };
    auto emit = [&](uint32_t type, uint32_t id, uint32_t verdict, bool withMark, uint32_t mark, uint8_t* payload, uint32_t plen) {
      size_t extra = payload ? NLA_ALIGN(plen) : 0;
      newChunkIfNeeded(kVerdictMsgMax + extra, 3);
      uint8_t* b = h + hused;
      size_t len = PutHdr(b, (NFNL_SUBSYS_QUEUE << 8) | type, NLM_F_REQUEST, qnum_);
      struct nfqnl_msg_verdict_hdr vh;
      vh.verdict = htonl(verdict);
      vh.id = htonl(id);
      len = PutAttr(b, len, NFQA_VERDICT_HDR, &vh, sizeof(vh));
      if (withMark) { uint32_t m = htonl(mark); len = PutAttr(b, len, NFQA_MARK, &m, 4); }
      if (payload) {
        struct nlattr* a = (struct nlattr*)(b + len);
        a->nla_len = NLA_HDRLEN + plen;
        a->nla_type = NFQA_PAYLOAD;
        len += NLA_HDRLEN;
        ((struct nlmsghdr*)b)->nlmsg_len = (uint32_t)(len + NLA_ALIGN(plen));
        pushHdr(hused, hused + len);
        siov_.push_back({payload, plen});
        chunkBytes += plen;
        if (NLA_ALIGN(plen) > plen) { siov_.push_back({(void*)kZeroPad, NLA_ALIGN(plen) - plen}); chunkBytes += NLA_ALIGN(plen) - plen; }
      } else {
        pushHdr(hused, hused + len);
      }
      hused += len;
      msgs++;
    };
    auto flushRun = [&]() {
      if (runLen == 1) { emit(NFQNL_MSG_VERDICT, runLast, kNfAccept, false, 0, nullptr, 0); verdictsSingle_++; }
      else if (runLen > 1) { emit(NFQNL_MSG_VERDICT_BATCH, runLast, kNfAccept, false, 0, nullptr, 0); verdictsBatchMsgs_++; }
      runLen = 0;
    };

    for (uint32_t i = 0; i < n; i++) {
      uint32_t* d = desc_ + (size_t)i * DESC_STRIDE;
      uint32_t w0 = verdict_[2 * i], w1 = verdict_[2 * i + 1];
      uint32_t nf = w0 & 0xff;
      uint32_t id = d[D_ID];
      if (nf == kNfAccept) verdictAccept_++;
      else if (nf == kNfDrop) verdictDrop_++;
      else if (nf == kNfRepeat) verdictRepeat_++;
      else if (nf == kNfQueue) verdictQueue_++;
      if (w0 == kNfAccept) {                    // plain accept: extend the run
        runLast = id; runLen++;
        continue;
      }
      flushRun();
      if (nf != kNfAccept && nf != kNfDrop && nf != kNfRepeat && nf != kNfQueue) { nf = kNfAccept; badVerdicts_++; }
      uint32_t v = nf == kNfQueue ? (kNfQueue | (w0 & 0xffff0000u)) : nf;
      uint8_t* payload = nullptr;
      uint32_t plen = 0;
      if ((w0 & W_PAYLOAD) && nf != kNfDrop) {
        if ((d[D_FLAGS] & F_GSO) || d[D_CAPLEN] < d[D_WIRELEN] || d[D_CAPLEN] == 0 ||
            !fixChecksums(data_ + d[D_OFF], d[D_CAPLEN])) {
          replaceRefused_++;
        } else {
          payload = data_ + d[D_OFF]; plen = d[D_CAPLEN];
          replaced_++;
        }
      }
      emit(NFQNL_MSG_VERDICT, id, v, (w0 & W_MARK) != 0, w1, payload, plen);
      verdictsSingle_++;
    }
    flushRun();
    if (siov_.size() > chunkStartIov) chunks_.push_back({chunkStartIov, siov_.size() - chunkStartIov});

    // one sendmmsg for all chunks (usually one)
    static struct sockaddr_nl to = {AF_NETLINK, 0, 0, 0};
    std::vector<mmsghdr>& mm = smsgs_;
    mm.resize(chunks_.size());
    for (size_t c = 0; c < chunks_.size(); c++) {
      memset(&mm[c], 0, sizeof(mm[c]));
      mm[c].msg_hdr.msg_name = &to;
      mm[c].msg_hdr.msg_namelen = sizeof(to);
      mm[c].msg_hdr.msg_iov = siov_.data() + chunks_[c].first;
      mm[c].msg_hdr.msg_iovlen = chunks_[c].second;
    }
    size_t done = 0;
    for (int attempt = 0; done < mm.size() && attempt < kSendRetries + (int)mm.size(); attempt++) {
      int r = sendmmsg(fd_, mm.data() + done, (unsigned)(mm.size() - done), 0);
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
        sendErrors_++; lastSendErrno_ = errno;
        break;
      }
      sendCalls_++;
      done += (size_t)r;
    }
    if (done < mm.size()) { sendErrors_++; unsent_ += mm.size() - done; }
    return msgs;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) { Unbind(); CloseFd(); }
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    auto set = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
    set("queue", qnum_);
    set("portid", portid_);
    set("packets", (double)packets_);
    set("recvCalls", (double)recvCalls_);
    set("enobufs", (double)enobufs_);
    set("truncated", (double)truncated_);
    set("malformed", (double)malformed_);
    set("idGaps", (double)idGaps_);
    set("lastId", (double)lastId_);
    set("setupAccepted", (double)setupAccepted_);
    set("overflowAccepted", (double)overflowAccepted_);
    set("verdictAccept", (double)verdictAccept_);
    set("verdictDrop", (double)verdictDrop_);
    set("verdictRepeat", (double)verdictRepeat_);
    set("verdictQueue", (double)verdictQueue_);
    set("verdictMsgsSingle", (double)verdictsSingle_);
    set("verdictMsgsBatch", (double)verdictsBatchMsgs_);
    set("badVerdicts", (double)badVerdicts_);
    set("replaced", (double)replaced_);
    set("replaceRefused", (double)replaceRefused_);
    set("sendCalls", (double)sendCalls_);
    set("sendErrors", (double)sendErrors_);
    set("unsentDatagrams", (double)unsent_);
    set("lastSendErrno", lastSendErrno_);
    set("verdictErrors", (double)verdictErrors_);
    set("lastVerdictErrno", lastVerdictErrno_);
    set("busyPollUs", (double)(busyPollNs_ / 1000));
    set("busySpins", (double)busySpins_);
    set("busyHits", (double)busyHits_);
    set("busyUs", (double)(busyNs_ / 1000));
    Napi::Array h = Napi::Array::New(env, 8);
    for (uint32_t i = 0; i < 8; i++) h.Set(i, Napi::Number::New(env, (double)batchHist_[i]));
    o.Set("batchHist", h);
    o.Set("open", Napi::Boolean::New(env, fd_ >= 0));
    return o;
  }

  static const uint8_t kZeroPad[4];

  int fd_ = -1;
  uint16_t qnum_ = 0;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  uint32_t maxBatch_ = 64, slot_ = 0, lastN_ = 0;
  int rcvTimeoutMs_ = 0;
  int64_t busyPollNs_ = 0, lastRecvNs_ = 0;
  uint64_t busySpins_ = 0, busyHits_ = 0, busyNs_ = 0;
  uint8_t* data_ = nullptr;
  uint32_t* desc_ = nullptr;
  uint32_t* verdict_ = nullptr;
  Napi::ObjectReference dataRef_, descRef_, verdictRef_;
  std::vector<mmsghdr> rmsgs_, smsgs_;
  std::vector<iovec> riov_, siov_;
  std::vector<std::pair<size_t, size_t>> chunks_;
  std::vector<uint8_t> hdrs_;
  uint32_t lastId_ = 0;
  uint64_t packets_ = 0, recvCalls_ = 0, enobufs_ = 0, truncated_ = 0, malformed_ = 0, idGaps_ = 0;
  uint64_t setupAccepted_ = 0, overflowAccepted_ = 0;
  uint64_t verdictAccept_ = 0, verdictDrop_ = 0, verdictRepeat_ = 0, verdictQueue_ = 0;
  uint64_t verdictsSingle_ = 0, verdictsBatchMsgs_ = 0, badVerdicts_ = 0, replaced_ = 0, replaceRefused_ = 0;
  uint64_t sendCalls_ = 0, sendErrors_ = 0, unsent_ = 0, verdictErrors_ = 0;
  int lastSendErrno_ = 0, lastVerdictErrno_ = 0;
  uint64_t batchHist_[8] = {0};
};

const uint8_t Queue::kZeroPad[4] = {0, 0, 0, 0};

// Checksum fixer exposed for tests: fixChecksums(u8array, off, len) -> boolean.
Napi::Value FixChecksums(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray())
    throw CodedError(env, "QUELL_E_NFQ_ARGS", 0, "fixChecksums(u8: Uint8Array, off: number, len: number)");
  Napi::Uint8Array a = info[0].As<Napi::Uint8Array>();
  uint32_t off = info[1].As<Napi::Number>().Uint32Value();
  uint32_t len = info[2].As<Napi::Number>().Uint32Value();
  if ((size_t)off + len > a.ElementLength()) throw CodedError(env, "QUELL_E_NFQ_ARGS", 0, "range outside the array");
  return Napi::Boolean::New(env, fixChecksums(a.Data() + off, len));
}

// relax(): sched_yield(), for a JS loop that busy-polls several queues (src/inline/worker.ts):
// a task woken on this CPU runs now instead of after the spinner's time slice.
static Napi::Value Relax(const Napi::CallbackInfo& info) {
  sched_yield();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("relax", Napi::Function::New(env, Relax));
  exports.Set("Queue", Queue::Init(env));
  exports.Set("fixChecksums", Napi::Function::New(env, FixChecksums));
  exports.Set("DESC_STRIDE", Napi::Number::New(env, DESC_STRIDE));
  exports.Set("ABI", Napi::Number::New(env, 2));   // src/io/nfqueue.ts NFQ_ADDON_ABI
  return exports;
}

}  // namespace

NODE_API_MODULE(quell_nfq, Init)
