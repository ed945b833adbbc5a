// Gratuitous ARP: announcing an interface's own IPv4 address and MAC, so that
// neighbours replace what their caches hold for that address. Private to
// berth_netlink (used by setup_endpoint).
#pragma once

#include <array>
#include <cstdint>

#include "common/result.h"
#include "common/unique_fd.h"
#include "ipam/ipam.h"

namespace berth::netlink {

// Opens a packet socket that sends only, in the network namespace of the
// calling thread; like any socket it stays there and may be used from any
// thread afterwards.
Result<UniqueFd> open_arp_socket();

// Broadcasts one ARP announcement for `address` with sender `mac` out of the
// interface `ifindex` of the namespace `fd` (from open_arp_socket) was opened
// in. The interface must be up. Errors: "send gratuitous ARP: <errno text>".
Status send_gratuitous_arp(int fd, int ifindex, const std::array<uint8_t, 6>& mac,
                           ipam::Ipv4 address);

}  // namespace berth::netlink
