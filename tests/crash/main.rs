//! Black-box crash tests: the real `leadger` binary is killed with SIGKILL
//! at exact points of a large commit, then reopened.

// Spawning the binary, pausing it at a failpoint and killing it.
mod support;
// A commit killed at every point of the append protocol is all or nothing.
mod commit_killed;
