//! Templates users fill in (in progress: issue 4).
