//! API tokens (in progress: issue 3).
