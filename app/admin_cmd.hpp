#pragma once

namespace switchboard::app {

// `switchboard admin [--node HOST:PORT] [--token T] [--data-dir DIR]
// [-c "COMMAND"] [--json]`: the operator shell. Returns the exit status.
int admin_main(int argc, char** argv);

}  // namespace switchboard::app
