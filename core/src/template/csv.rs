//! The `.csv` template: the header row only, UTF-8 with a byte-order mark
//! (without it, Excel opens the file as Windows-1252 and mangles accents),
//! ended by CRLF as RFC 4180 and Excel's own CSV files have it.

use crate::catalogue::FieldDef;

const BOM: &str = "\u{feff}";

/// The header line of `fields`, quoted where RFC 4180 requires it.
pub(super) fn header(fields: &[&FieldDef]) -> Vec<u8> {
    let cells: Vec<String> = fields.iter().map(|f| quote(f.header)).collect();
    format!("{BOM}{}\r\n", cells.join(",")).into_bytes()
}

/// The cell as CSV: quoted (inner quotes doubled) when it holds a comma,
/// a quote, a line break or surrounding spaces; as is otherwise.
fn quote(cell: &str) -> String {
    let needs_quotes = cell.contains([',', '"', '\r', '\n']) || cell.trim() != cell;
    if needs_quotes {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{field_by_header, FIELDS};

    #[test]
    fn header_has_bom_and_crlf() {
        let fields: Vec<&FieldDef> = ["Lead Name", "Postal Code"]
            .iter()
            .filter_map(|h| field_by_header(h))
            .collect();
        assert_eq!(header(&fields), b"\xef\xbb\xbfLead Name,Postal Code\r\n");
    }

    #[test]
    fn every_header_reads_back_with_the_csv_reader() -> Result<(), csv::Error> {
        let all: Vec<&FieldDef> = FIELDS.iter().collect();
        let bytes = header(&all);
        let text = bytes.strip_prefix(BOM.as_bytes()).unwrap_or(&bytes);
        let mut reader = csv::Reader::from_reader(text);
        let headers = reader.headers()?.clone();
        let got: Vec<&str> = headers.iter().collect();
        let want: Vec<&str> = FIELDS.iter().map(|f| f.header).collect();
        assert_eq!(got, want);
        Ok(())
    }

    #[test]
    fn awkward_cells_are_quoted() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote(" padded"), "\" padded\"");
    }
}
