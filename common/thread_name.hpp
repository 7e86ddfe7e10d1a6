#pragma once

#include <pthread.h>

namespace switchboard {

// Names the calling thread as ps, top and perf show it ("sb-writer"): at
// most 15 characters, longer names are cut.
inline void name_thread(const char* name) noexcept {
  char cut[16] = {0};
  for (int i = 0; i < 15 && name[i]; ++i) cut[i] = name[i];
  pthread_setname_np(pthread_self(), cut);
}

}  // namespace switchboard
