//! Black-box suite: cli (modules listed here).
