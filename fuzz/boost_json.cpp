// Boost.JSON's sources, compiled with the fuzzers' instrumentation (see
// CMakeLists.txt); the fuzz targets link this instead of libboost_json.
#include <boost/json/src.hpp>
