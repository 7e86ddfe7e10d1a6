// Boost.URL's sources, compiled with the fuzzers' instrumentation (see
// CMakeLists.txt); http_request_fuzz links this instead of libboost_url.
#include <boost/url/src.hpp>
