//! Black-box suite: crash (modules listed here).
