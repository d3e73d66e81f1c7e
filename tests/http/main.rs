//! Black-box suite: http (modules listed here).
