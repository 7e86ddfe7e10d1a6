#pragma once

namespace switchboard::app {

// `switchboard token USER [--ttl SECONDS] [--data-dir DIR] [--jwt-secret S]`:
// prints a client token for USER signed with the node's secret.
int token_main(int argc, char** argv);

}  // namespace switchboard::app
