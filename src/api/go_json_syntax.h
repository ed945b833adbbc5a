// Go's encoding/json scanner (scanner.go) as dockerd runs it on request
// bodies: moby's httputils.ReadJSON and runconfig's loadJSON read one value
// with a json.Decoder, wrap its error in "invalid JSON: ", then refuse
// anything after the value with "unexpected content after JSON" when
// dec.More() says so. Pure, no allocation beyond the nesting stack.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace berth::api {

// Go's message for the first syntax error in body, or nullopt when body is
// exactly one JSON value with optional blanks (space, \t, \r, \n) around it.
//   "invalid character 'i' looking for beginning of object key string"
//   "unexpected EOF"   a value cut short (json.Decoder's io.ErrUnexpectedEOF)
//   "EOF"              nothing but blanks (io.EOF)
//   "invalid character 'x' after top-level value"   more after the value
// The last one is what json.Unmarshal says; dockerd's Decoder stops at the
// end of the value instead (see go_json_read_value and go_json_more).
std::optional<std::string> go_json_syntax_error(std::string_view body);

// The first value of body as json.Decoder.Decode reads it: either the error
// Decode returns ("EOF", "unexpected EOF" or a syntax error message), or the
// value's extent body.substr(0, end) with the rest left unread.
struct GoJsonValue {
  std::optional<std::string> error;
  std::size_t end = 0;
};
GoJsonValue go_json_read_value(std::string_view body);

// json.Decoder.More() on what Decode left unread: the first non-blank byte
// exists and is neither ']' nor '}' (so dockerd accepts `{} }`).
bool go_json_more(std::string_view rest);

// Go's quoteChar: c as a quoted character literal, the way the scanner's
// messages show it ('x', '\'', '"', '\\', '\n', '\x01', and a byte >= 0x80
// as the rune of that value: 0xEF is 'ï', 0x80 is backslash-u0080).
std::string go_json_quote_char(unsigned char c);

}  // namespace berth::api
