//! The Instructions sheet of the `.xlsx` template: one row per field with
//! its category, whether it is a key identifier, its type, the values it
//! accepts and an example; then the rules of the whole sheet.

use rust_xlsxwriter::{ColNum, Color, Format, Worksheet, XlsxError};

use super::describe::{self, category_label};
use super::xlsx::{noun, sheet_name, KEY_RED};
use crate::catalogue::FieldDef;
use crate::event::Kind;
use crate::reference::ReferenceData;

pub(super) const INSTRUCTIONS: &str = "Instructions";

pub(super) fn sheet(
    kind: Kind,
    fields: &[&FieldDef],
    reference: &ReferenceData,
) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(INSTRUCTIONS)?;
    let bold = Format::new().set_bold();
    let key = Format::new().set_font_color(Color::RGB(KEY_RED));
    let plain = Format::new();
    let wrap = Format::new().set_text_wrap();
    let headers = [
        "Field",
        "Category",
        "Key identifier",
        "Type",
        "Allowed values",
        "Example",
    ];
    for (col, (text, width)) in headers.iter().zip([24, 14, 14, 30, 70, 26]).enumerate() {
        sheet.write_string_with_format(0, col as ColNum, *text, &bold)?;
        sheet.set_column_width(col as ColNum, width)?;
    }
    let mut row = 1;
    for field in fields {
        let header_format = if field.key { &key } else { &plain };
        sheet.write_string_with_format(row, 0, field.header, header_format)?;
        sheet.write_string(row, 1, category_label(field.category))?;
        sheet.write_string(row, 2, if field.key { "Yes" } else { "No" })?;
        sheet.write_string(row, 3, describe::type_text(field))?;
        let allowed = describe::allowed_values(field, reference);
        sheet.write_string_with_format(row, 4, allowed, &wrap)?;
        sheet.write_string(row, 5, field.example)?;
        row += 1;
    }
    row += 1;
    for line in general_rules(kind) {
        sheet.write_string(row, 0, line)?;
        row += 1;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

/// The rules of the whole sheet, below the table of fields.
fn general_rules(kind: Kind) -> [String; 5] {
    let (noun, sheet) = (noun(kind), sheet_name(kind));
    [
        format!(
            "Fill one row per {noun} on the {sheet} sheet, from row 2. Red headers are key \
             identifiers; hover over a header to read its rules."
        ),
        format!(
            "A row with an Account CRM ID, or the Export Value or Lead Name of an existing \
             {noun}, updates it: only filled cells change it, a blank cell never erases data."
        ),
        format!(
            "Contacts, communications and opportunities are only created together with a \
             new {noun}."
        ),
        "Columns may be removed or put in another order; keep the header texts as they are."
            .to_string(),
        "The drop-down lists offer the values allowed when this template was made; the \
         import checks every value again."
            .to_string(),
    ]
}
