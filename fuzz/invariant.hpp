#pragma once

#include <cstdio>
#include <cstdlib>

namespace switchboard::fuzz {

// A property every input must keep. A broken one aborts, which libFuzzer
// reports as a crash and saves the input, like a sanitizer finding.
inline void invariant(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

}  // namespace switchboard::fuzz
