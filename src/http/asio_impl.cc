// The one translation unit that compiles Boost.Asio and Boost.Beast
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION): every
// other file includes only their headers, so a clean build stays quick.
#include <utility>  // before Asio: g++ 12 needs std::exchange in awaitable.hpp

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
