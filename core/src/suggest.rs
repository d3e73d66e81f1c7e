//! Closest-name suggestions (in progress).
