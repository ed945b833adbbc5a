// How `network ls` and `network inspect` present networks, as docker's
// cli/command/network/formatter.go and inspect do: the per-row fields
// (ID, Name, Driver, Scope, IPv4, IPv6, Internal, Labels, CreatedAt, and
// the Label method), the column titles, natural sort by name, and the Go
// types that give inspect templates Go's field names. Pure.
#pragma once

#include <string>
#include <string_view>

#include "cli/go_template.h"
#include "common/result.h"

namespace berth::cli {

// stringid.TruncateID: drops an "algo:" prefix and keeps 12 characters.
std::string truncate_id(std::string_view id);

// sortorder.NaturalLess: digit runs compare as numbers ("net2" < "net10").
bool natural_less(std::string_view a, std::string_view b);

// The row a template sees for one network.Summary, keys in the order
// docker's formatter.MarshalJSON writes them (sorted).
ojson network_row(const ojson& summary, bool trunc);
const GoType& network_row_type();

// `network ls` output. `format` is the --format value ("" = table); quiet
// without a custom format prints IDs only.
Result<std::string> render_network_list(const ojson& networks, const std::string& format,
                                        bool quiet, bool no_trunc);

// network.Inspect as Go declares it (Go field names, time, maps), so that
// {{.ID}} and {{.IPAM}} behave as in docker's typed first attempt.
const GoType& network_inspect_type();

}  // namespace berth::cli
