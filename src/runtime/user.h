// Resolving a container's `-u` in its own /etc/passwd and /etc/group, with
// the rules of runc's libcontainer/user GetExecUser (which Docker uses): a
// numeric user is always a uid and needs no entry; a name must have one; the
// primary group comes from passwd unless given after ':'; supplementary
// groups are the /etc/group entries listing the user by name, and only when
// no group was given. Pure: the files are passed as text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::runtime {

struct ExecUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> sgids;  // for setgroups(2)
  std::string home = "/";
};

// `spec` as given to -u ("" = root). Errors (InvalidArgument) as runc words them:
// "unable to find user X: no matching entries in passwd file",
// "unable to find group X: no matching entries in group file".
Result<ExecUser> resolve_user(std::string_view spec, std::string_view passwd,
                              std::string_view group);

}  // namespace berth::runtime
