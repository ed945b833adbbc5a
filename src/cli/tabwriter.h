// Go's text/tabwriter as docker's tables use it (flags 0, padchar ' '):
// tabwriter.NewWriter(out, minwidth, tabwidth, padding, ' ', 0). Cells end
// at '\t'; the text after a line's last tab is not part of any column. A
// column block is a run of consecutive lines that have a cell in that
// column; its width is max(minwidth, widest cell + padding), measured in
// code points. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

// Lays out `text` (lines separated by '\n', cells by '\t'). docker's tables
// use minwidth 10, padding 3; `docker version` uses 20 and 1.
std::string tabwrite(std::string_view text, int minwidth, int padding);

// Convenience: each row's cells are joined with '\t' and rows end with '\n'.
std::string tabwrite_rows(const std::vector<std::vector<std::string>>& rows, int minwidth,
                          int padding);

}  // namespace berth::cli
