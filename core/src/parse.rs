//! Typed parsing of cells (in progress).
