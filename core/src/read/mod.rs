//! Reading spreadsheet rows (in progress).
