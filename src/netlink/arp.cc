// The gratuitous ARP a container sends when it joins a network, as Docker
// does (libnetwork/internal/l2disco, "unsolicited ARP"): an ARP request whose
// sender and target protocol addresses are both the interface's own address,
// target hardware address zero, to the Ethernet broadcast address. That is
// the "ARP Announcement" of RFC 5227 §2.3. Linux neighbours (the bridge, other
// containers) update an entry they already have for the address even with
// arp_accept=0 (net/ipv4/arp.c, arp_process: a gratuitous ARP overrides), so
// a reused address with a new MAC is reachable at once instead of after the
// stale entry expires.
#include "netlink/arp.h"

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"
#include "netlink/errno_error.h"

namespace berth::netlink {
namespace {

// The ARP payload for Ethernet and IPv4 (RFC 826), after struct arphdr.
struct __attribute__((packed)) ArpEthIpv4 {
  arphdr hdr;
  uint8_t sender_mac[ETH_ALEN];
  uint8_t sender_ip[4];
  uint8_t target_mac[ETH_ALEN];
  uint8_t target_ip[4];
};
static_assert(sizeof(ArpEthIpv4) == 28);

}  // namespace

Result<UniqueFd> open_arp_socket() {
  // Protocol 0: no incoming frame is ever queued on it (packet(7)).
  // SOCK_DGRAM: the kernel writes the Ethernet header from sll_addr and the
  // interface's own address.
  UniqueFd fd(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("send gratuitous ARP: open packet socket", errno);
  return fd;
}

Status send_gratuitous_arp(int fd, int ifindex, const std::array<uint8_t, 6>& mac,
                           ipam::Ipv4 address) {
  const std::string what = "send gratuitous ARP";
  ArpEthIpv4 pkt{};
  pkt.hdr.ar_hrd = htons(ARPHRD_ETHER);
  pkt.hdr.ar_pro = htons(ETH_P_IP);
  pkt.hdr.ar_hln = ETH_ALEN;
  pkt.hdr.ar_pln = 4;
  pkt.hdr.ar_op = htons(ARPOP_REQUEST);
  std::memcpy(pkt.sender_mac, mac.data(), ETH_ALEN);
  uint32_t be = htonl(address.v);
  std::memcpy(pkt.sender_ip, &be, 4);
  std::memcpy(pkt.target_ip, &be, 4);  // target_mac stays zero

  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = ifindex;
  to.sll_hatype = ARPHRD_ETHER;
  to.sll_halen = ETH_ALEN;
  std::memset(to.sll_addr, 0xff, ETH_ALEN);

  ssize_t n;
  do {
    n = ::sendto(fd, &pkt, sizeof(pkt), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error(what, errno);
  if (n != static_cast<ssize_t>(sizeof(pkt))) return internal_error(what + ": short send");
  return ok_status();
}

}  // namespace berth::netlink
