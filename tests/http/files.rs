//! The files the tests send: multipart bodies built by hand, CSVs of
//! generated leads, and `.xlsx` workbooks written with rust_xlsxwriter.

const BOUNDARY: &str = "leadger-test-boundary-5f1d0c";

/// A `multipart/form-data` body with one file field named `field`.
pub fn multipart(field: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A CSV of `n` new leads with export values `{prefix}-{i}`.
pub fn leads_csv(prefix: &str, n: usize) -> Vec<u8> {
    let mut csv = String::from("Lead Name,Export Value,City,Employees\n");
    for i in 0..n {
        csv.push_str(&format!(
            "{prefix} Lead {i},{prefix}-{i},Springfield,{}\n",
            i % 500
        ));
    }
    csv.into_bytes()
}

/// An `.xlsx` file with these rows (the first is the header).
pub fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if !text.is_empty() {
                sheet
                    .write_string(r as u32, c as u16, *text)
                    .expect("write cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx to memory")
}
