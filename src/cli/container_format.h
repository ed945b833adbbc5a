// How `ps` presents containers, as docker 28.2.2's formatter/container.go:
// the per-row fields (ID, Image, Command, CreatedAt, RunningFor, Ports,
// State, Status, Size, Names, Labels, Label, Mounts, LocalVolumes,
// Networks, Platform), the column titles, the compact port notation, and
// go-units' human durations and sizes. Pure: "now" is passed in.
#pragma once

#include <string>
#include <string_view>

#include "cli/go_template.h"
#include "common/result.h"

namespace berth::cli {

// go-units HumanDuration of a duration in seconds: "Less than a second",
// "1 second", "5 seconds", "About a minute", "3 minutes", "About an hour",
// "5 hours", "3 days", "2 weeks", "3 months", "2 years".
std::string human_duration(double seconds);

// go-units HumanSizeWithPrecision(size, 3): "0B", "12.3kB", "988MB".
std::string human_size(double bytes);

// formatter.Ellipsis: at most `width` display columns, "…" as the last.
std::string ellipsis(std::string_view s, int width);

// formatter.DisplayablePorts over a Summary's Ports array:
// "80-82/tcp, 0.0.0.0:5001->5001/tcp, [::]:5001->5001/tcp".
std::string displayable_ports(const ojson& ports);

// time.Unix(sec, 0).String() in the local zone: "2026-11-28 03:54:58 +0000 UTC".
std::string go_unix_time_string(long long unix_seconds);

// The row a template sees for one container.Summary.
ojson container_row(const ojson& summary, bool trunc, long long now_unix);

struct PsOptions {
  std::string format;  // --format ("" = table)
  bool quiet = false;
  bool size = false;          // -s
  bool size_changed = false;  // -s/--size given at all
  bool no_trunc = false;
};

// docker's buildContainerListOptions check of --format: parses and runs
// the template once over an empty row. Returns whether .Size is used (so
// that size=1 is requested), or "failed to parse template: …" /
// "failed to execute template: …".
Result<bool> ps_template_uses_size(const std::string& format);

// `ps` output for a container list. `size` is whether sizes were requested.
Result<std::string> render_container_list(const ojson& containers, const PsOptions& o, bool size,
                                          long long now_unix);

}  // namespace berth::cli
