//! Black-box suite: template (modules listed here).
