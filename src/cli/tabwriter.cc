// A port of the layout in Go's text/tabwriter (format / writeLines), for
// the subset docker uses: no escapes, no HTML filtering, no alignment
// flags, spaces as padding.
#include "cli/tabwriter.h"

namespace berth::cli {
namespace {

struct Cell {
  std::string_view text;
  int width;  // in code points
};
using Line = std::vector<Cell>;

int rune_count(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

class Layout {
 public:
  Layout(std::vector<Line> lines, int minwidth, int padding)
      : lines_(std::move(lines)), minwidth_(minwidth), padding_(padding) {}

  std::string run() {
    format(0, static_cast<int>(lines_.size()));
    return std::move(out_);
  }

 private:
  void write_lines(int line0, int line1) {
    for (int i = line0; i < line1; ++i) {
      const Line& line = lines_[static_cast<size_t>(i)];
      for (size_t j = 0; j < line.size(); ++j) {
        const Cell& c = line[j];
        out_ += c.text;
        if (j < widths_.size()) out_.append(static_cast<size_t>(widths_[j] - c.width), ' ');
      }
      // The last line has no newline of its own.
      if (i + 1 != static_cast<int>(lines_.size())) out_ += '\n';
    }
  }

  void format(int line0, int line1) {
    const size_t column = widths_.size();
    for (int cur = line0; cur < line1; ++cur) {
      if (column + 1 >= lines_[static_cast<size_t>(cur)].size()) continue;
      // A cell exists in this column: print the lines before the block.
      write_lines(line0, cur);
      line0 = cur;
      int width = minwidth_;
      for (; cur < line1; ++cur) {
        const Line& line = lines_[static_cast<size_t>(cur)];
        if (column + 1 >= line.size()) break;
        width = std::max(width, line[column].width + padding_);
      }
      widths_.push_back(width);
      format(line0, cur);
      widths_.pop_back();
      line0 = cur;
    }
    write_lines(line0, line1);
  }

  std::vector<Line> lines_;
  int minwidth_;
  int padding_;
  std::vector<int> widths_;
  std::string out_;
};

}  // namespace

std::string tabwrite(std::string_view text, int minwidth, int padding) {
  std::vector<Line> lines;
  size_t start = 0;
  for (;;) {
    size_t nl = text.find('\n', start);
    std::string_view line_text =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    Line line;
    size_t cs = 0;
    for (;;) {
      size_t tab = line_text.find('\t', cs);
      std::string_view cell =
          line_text.substr(cs, tab == std::string_view::npos ? std::string_view::npos : tab - cs);
      line.push_back(Cell{cell, rune_count(cell)});
      if (tab == std::string_view::npos) break;
      cs = tab + 1;
    }
    lines.push_back(std::move(line));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return Layout(std::move(lines), minwidth, padding).run();
}

std::string tabwrite_rows(const std::vector<std::vector<std::string>>& rows, int minwidth,
                          int padding) {
  std::string text;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) text += '\t';
      text += row[i];
    }
    text += '\n';
  }
  return tabwrite(text, minwidth, padding);
}

}  // namespace berth::cli
