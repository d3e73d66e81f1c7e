//! Black-box suite: `leadger template`, run as the real binary and its
//! files read back by calamine and by Python's openpyxl (an independent
//! reader; install it with `pip install openpyxl`).

// Runs the binary in a fresh data directory; runs the Python helpers.
mod support;
// The command itself: files written, --json, formats, bad names and exit codes.
mod download;
// The .xlsx as calamine and openpyxl read it: headers, fonts, notes, freeze
// pane, drop-downs, column formats, the Instructions and Lists sheets.
mod readers;
// Templates filled the way a person would, then imported without errors.
mod round_trip;
// Retiring a list item changes the next template, not existing records.
mod retiring;
