//! Reference data (in progress).
