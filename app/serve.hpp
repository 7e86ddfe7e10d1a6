#pragma once

namespace switchboard::app {

// `switchboard serve [options]`: runs a node until SIGINT or SIGTERM.
// Returns the process exit status.
int serve_main(int argc, char** argv);

}  // namespace switchboard::app
