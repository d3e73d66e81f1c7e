//! Table-driven tests of [`parse_cell`] through the real catalogue: every
//! field type, each accepted form and each rejection of the product rules.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::*;
use crate::catalogue::{field_by_header, FIELDS};

/// What a case expects; messages are checked by fragments.
#[derive(Debug)]
enum Want {
    Blank,
    Is(Value),
    /// Suspicious: the text kept, and a fragment of the warning.
    Warn(&'static str, &'static str),
    /// Unreadable, with a fragment of the message.
    Bad(&'static str),
    /// TooLong, with a fragment of the message.
    Long(&'static str),
}
use Want::*;

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn txt(s: &str) -> Want {
    Is(Value::Text(s.into()))
}

fn int(n: i64) -> Want {
    Is(Value::Integer(n))
}

fn dec(s: &str) -> Want {
    Is(Value::Decimal(s.parse::<Decimal>().unwrap()))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> Want {
    Is(Value::Date(day(y, m, d)))
}

fn stamp(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Want {
    let t = chrono::NaiveTime::from_hms_opt(h, mi, s).unwrap();
    Is(Value::DateTime(NaiveDateTime::new(day(y, mo, d), t)))
}

fn check(header: &str, cell: Cell, dates: DateFormat, want: &Want) {
    let field = field_by_header(header).unwrap();
    let got = parse_cell(field, &cell, dates);
    let ctx = format!("{header} {cell:?} {dates:?}: got {got:?}, want {want:?}");
    match (want, &got) {
        (Blank, Parsed::Blank) => {}
        (Is(v), Parsed::Value(g)) => assert_eq!(v, g, "{ctx}"),
        (Warn(kept, frag), Parsed::Suspicious(Value::Text(g), msg)) => {
            assert_eq!(kept, g, "{ctx}");
            assert!(msg.contains(frag), "{ctx}");
        }
        (Bad(frag), Parsed::Unreadable(msg)) | (Long(frag), Parsed::TooLong(msg)) => {
            assert!(msg.contains(frag), "{ctx}");
            assert!(!msg.ends_with('.'), "{ctx}");
        }
        _ => panic!("{ctx}"),
    }
}

fn run(header: &str, dates: DateFormat, table: Vec<(Cell, Want)>) {
    for (cell, want) in table {
        check(header, cell, dates, &want);
    }
}

const US: DateFormat = DateFormat::Us;
const EU: DateFormat = DateFormat::Eu;
const ISO: DateFormat = DateFormat::Iso;

#[test]
fn date_format_names() {
    for f in DateFormat::ALL {
        assert_eq!(DateFormat::parse(f.name()), Some(f));
    }
    assert_eq!(DateFormat::parse(" EU "), Some(EU));
    assert_eq!(DateFormat::parse("Iso"), Some(ISO));
    assert_eq!(DateFormat::parse("uk"), None);
    assert_eq!(DateFormat::default(), US);
}

#[test]
fn blanks_and_formula_errors_in_every_field() {
    for field in FIELDS {
        for cell in [
            Cell::Empty,
            text(""),
            text("  \t "),
            Cell::DateIso(" ".into()),
        ] {
            check(field.header, cell, US, &Blank);
        }
        check(
            field.header,
            Cell::Error("#N/A".into()),
            US,
            &Bad("formula error `#N/A`"),
        );
    }
}

#[test]
fn text_fields() {
    run(
        "Postal Code",
        US,
        vec![
            (text("  02134 "), txt("02134")),
            (Cell::Number(2134.0), txt("2134")),
            (Cell::Number(1.2345e9), txt("1234500000")),
            (Cell::Number(12.5), txt("12.5")),
            (Cell::Bool(true), txt("TRUE")),
            (Cell::Bool(false), txt("FALSE")),
            (Cell::DateSerial(45_000.0), txt("2023-03-15")),
            (Cell::DateIso("2023-03-15".into()), txt("2023-03-15")),
            (text("\u{a0}SW1A 1AA\u{a0}"), txt("SW1A 1AA")),
        ],
    );
}

#[test]
fn text_length_limit_counts_characters() {
    let long = "a".repeat(201);
    run(
        "Lead Name",
        US,
        vec![
            (text(&"a".repeat(200)), txt(&"a".repeat(200))),
            (text(&"é".repeat(200)), txt(&"é".repeat(200))),
            (
                text(&format!("  {long}  ")),
                Long("is 201 characters long; the limit is 200: shorten it"),
            ),
        ],
    );
    // List, country and state fields keep their text, within the limit.
    for header in ["Lead Status", "Country", "State"] {
        check(header, text(" New "), US, &txt("New"));
        check(
            header,
            text(&"x".repeat(256)),
            US,
            &Long("the limit is 255"),
        );
    }
    check("Industry", Cell::Number(7.0), US, &txt("7"));
}

#[test]
fn integers() {
    let big = "9,223,372,036,854,775,808";
    run(
        "Account CRM ID",
        US,
        vec![
            (text("1042"), int(1042)),
            (text("  42 "), int(42)),
            (text("1,250"), int(1250)),
            (text("-7"), int(-7)),
            (text("12.00"), int(12)),
            (text("9223372036854775807"), int(i64::MAX)),
            (Cell::Number(1042.0), int(1042)),
            (Cell::Number(1.2345e9), int(1_234_500_000)),
            (text("12.5"), Bad("cannot read `12.5` as a whole number")),
            (
                text("cat"),
                Bad("cannot read `cat` as a whole number: write digits only"),
            ),
            (text("1,25"), Bad("cannot read `1,25`")),
            (text("$12"), Bad("cannot read `$12`")),
            (Cell::Number(12.5), Bad("cannot read `12.5`")),
            (Cell::Bool(true), Bad("cannot read `TRUE`")),
            (text(big), Bad("is too large")),
            (
                text("99999999999999999999999999999999999999999"),
                Bad("is too large"),
            ),
            (Cell::Number(1e19), Bad("is too large")),
            (Cell::Number(f64::NAN), Bad("cannot read")),
        ],
    );
    run(
        "Employees",
        US,
        vec![
            (text("250"), int(250)),
            (text("0"), int(0)),
            (text("-5"), Bad("`-5` must be zero or more")),
            (Cell::Number(-5.0), Bad("must be zero or more")),
        ],
    );
}

#[test]
fn decimals_keep_written_scale() {
    run(
        "Annual Revenue",
        US,
        vec![
            (text("1234.5"), dec("1234.5")),
            (text("1,234.50"), dec("1234.50")),
            (text("$1,234.50"), dec("1234.50")),
            (text("$1,250,000.00"), dec("1250000.00")),
            (text("€12"), dec("12")),
            (text("£ 0.99"), dec("0.99")),
            (text("-12"), dec("-12")),
            (text("-$12.10"), dec("-12.10")),
            (text("$-12.10"), dec("-12.10")),
            (text("+3"), dec("3")),
            (text(".5"), dec("0.5")),
            (Cell::Number(1234.5), dec("1234.5")),
            (Cell::Number(0.1), dec("0.1")),
            (Cell::Number(-2_000_000.0), dec("-2000000")),
            (
                text("€1.234,50"),
                Bad("cannot read `€1.234,50` as a decimal number"),
            ),
            (text("1,23.4"), Bad("with `.` before the decimals")),
            (text("12,5"), Bad("cannot read")),
            (text("1.234.567"), Bad("cannot read")),
            (text("-$-12"), Bad("cannot read")),
            (text("12 USD"), Bad("cannot read")),
            (text("$"), Bad("cannot read")),
            (text("cat"), Bad("cannot read `cat`")),
            (Cell::Bool(false), Bad("cannot read `FALSE`")),
            (text(&"9".repeat(30)), Bad("too many digits")),
            (Cell::Number(1e40), Bad("too many digits")),
            (Cell::Number(f64::INFINITY), Bad("cannot read")),
        ],
    );
    let got = parse_cell(
        field_by_header("Opportunity Amount").unwrap(),
        &text("1,234.50"),
        US,
    );
    let Parsed::Value(v) = got else {
        panic!("{got:?}")
    };
    assert_eq!(v.to_string(), "1234.50");
}

#[test]
fn percentages() {
    run(
        "Opportunity Probability",
        US,
        vec![
            (text("40"), int(40)),
            (text("40%"), int(40)),
            (text(" 40 % "), int(40)),
            (text("0"), int(0)),
            (text("100%"), int(100)),
            (text("40.0"), int(40)),
            (Cell::Number(40.0), int(40)),
            (Cell::Number(0.4), int(40)),
            (Cell::Number(0.07), int(7)),
            (Cell::Number(1.0), int(1)),
            (Cell::Number(0.0), int(0)),
            (text("101"), Bad("`101` must be between 0 and 100")),
            (text("-5%"), Bad("must be between 0 and 100")),
            (Cell::Number(150.0), Bad("must be between 0 and 100")),
            (
                text("40.5%"),
                Bad("cannot read `40.5%` as a percentage: write a whole number"),
            ),
            (
                Cell::Number(0.405),
                Bad("cannot read `0.405` as a percentage"),
            ),
            (text("forty"), Bad("such as 40 or 40%")),
            (text("%"), Bad("cannot read")),
        ],
    );
}

#[test]
fn dates_by_format() {
    let cases = [
        // (text, US reading, EU reading, ISO reading)
        (
            "2025-03-04",
            Some((2025, 3, 4)),
            Some((2025, 3, 4)),
            Some((2025, 3, 4)),
        ),
        (
            "2025-3-4",
            Some((2025, 3, 4)),
            Some((2025, 3, 4)),
            Some((2025, 3, 4)),
        ),
        ("03/04/2025", Some((2025, 3, 4)), Some((2025, 4, 3)), None),
        ("3/4/2025", Some((2025, 3, 4)), Some((2025, 4, 3)), None),
        ("03-04-2025", Some((2025, 3, 4)), Some((2025, 4, 3)), None),
        ("03.04.2025", Some((2025, 3, 4)), Some((2025, 4, 3)), None),
        ("12/31/1999", Some((1999, 12, 31)), None, None),
        ("31/12/1999", None, Some((1999, 12, 31)), None),
        (
            "03/04/2025 00:00",
            Some((2025, 3, 4)),
            Some((2025, 4, 3)),
            None,
        ),
        ("03/04-2025", None, None, None),
        ("03/04/25", None, None, None),
        ("2025/03/04", None, None, None),
        ("123/04/2025", None, None, None),
        ("20250304", None, None, None),
        ("cat", None, None, None),
    ];
    for (s, us, eu, iso) in cases {
        for (fmt, want) in [(US, us), (EU, eu), (ISO, iso)] {
            let want = match want {
                Some((y, m, d)) => date(y, m, d),
                None => Bad("the value was ignored"),
            };
            check("Birthdate", text(s), fmt, &want);
        }
    }
}

#[test]
fn date_cells_and_rejections() {
    run(
        "Contact Birthdate",
        US,
        vec![
            (Cell::DateSerial(45_000.0), date(2023, 3, 15)),
            (Cell::DateSerial(45_000.75), date(2023, 3, 15)),
            (Cell::Number(45_000.0), date(2023, 3, 15)),
            (Cell::DateIso("2023-03-15".into()), date(2023, 3, 15)),
            (
                Cell::DateIso("2023-03-15T18:00:00".into()),
                date(2023, 3, 15),
            ),
            (Cell::DateSerial(-1.0), Bad("cannot read `-1` as a date")),
            (
                Cell::Number(20_250_304.0),
                Bad("cannot read `20250304` as a date"),
            ),
            (Cell::Bool(true), Bad("cannot read `TRUE` as a date")),
            (text("02/30/2024"), Bad("`02/30/2024` is not a real date")),
            (text("2023-02-29"), Bad("is not a real date")),
            (text("02/29/2024"), date(2024, 2, 29)),
            (
                text("cat"),
                Bad(
                    "cannot read `cat` as a date: write it as MM/DD/YYYY or YYYY-MM-DD; \
                     the value was ignored",
                ),
            ),
            (
                text("13/05/2024"),
                Bad("dates are read month first (MM/DD/YYYY)"),
            ),
        ],
    );
    check(
        "Birthdate",
        text("cat"),
        EU,
        &Bad("write it as DD/MM/YYYY or YYYY-MM-DD;"),
    );
    check(
        "Birthdate",
        text("cat"),
        ISO,
        &Bad("write it as YYYY-MM-DD;"),
    );
    check(
        "Birthdate",
        text("05/13/2024"),
        EU,
        &Bad("day first (DD/MM/YYYY)"),
    );
    check(
        "Opportunity Close Date",
        text("2026-06-30"),
        ISO,
        &date(2026, 6, 30),
    );
}

#[test]
fn dates_with_times() {
    run(
        "Communication Date",
        US,
        vec![
            (text("2026-03-01"), date(2026, 3, 1)),
            (text("2026-03-01 14:30"), stamp(2026, 3, 1, 14, 30, 0)),
            (text("2026-03-01T14:30:15"), stamp(2026, 3, 1, 14, 30, 15)),
            (text("2026-03-01  9:05"), stamp(2026, 3, 1, 9, 5, 0)),
            (
                text("2026-03-01T14:30:15.250Z"),
                stamp(2026, 3, 1, 14, 30, 15),
            ),
            (text("03/01/2026 14:30"), stamp(2026, 3, 1, 14, 30, 0)),
            (text("3/1/2026 2:30 PM"), stamp(2026, 3, 1, 14, 30, 0)),
            (text("3/1/2026 12:15am"), stamp(2026, 3, 1, 0, 15, 0)),
            (text("3/1/2026 12:15 pm"), stamp(2026, 3, 1, 12, 15, 0)),
            (Cell::DateSerial(45_000.5), stamp(2023, 3, 15, 12, 0, 0)),
            (Cell::Number(45_000.25), stamp(2023, 3, 15, 6, 0, 0)),
            (Cell::DateSerial(45_000.0), date(2023, 3, 15)),
            (
                Cell::DateIso("2023-03-15T14:30:00".into()),
                stamp(2023, 3, 15, 14, 30, 0),
            ),
            (
                Cell::DateIso("2023-03-15T00:00:00".into()),
                date(2023, 3, 15),
            ),
            (text("2026-03-01 25:00"), Bad("is not a real date or time")),
            (text("3/1/2026 13:00 PM"), Bad("is not a real date or time")),
            (text("3/1/2026T14:30"), Bad("cannot read")),
            (text("2026-03-01 14"), Bad("cannot read")),
            (text("2026-03-01 14:3"), Bad("cannot read")),
            (text("2026-03-01 14:30 tomorrow"), Bad("cannot read")),
            (
                text("soon"),
                Bad(
                    "cannot read `soon` as a date or date and time: write it as MM/DD/YYYY \
                     or YYYY-MM-DD, optionally followed by a time such as 14:30",
                ),
            ),
        ],
    );
    check(
        "Communication Date",
        text("01/03/2026 14:30"),
        EU,
        &stamp(2026, 3, 1, 14, 30, 0),
    );
}

#[test]
fn booleans() {
    let yes = ["Yes", "yes", "TRUE", "true", "Y", "y", "1", " yEs "];
    let no = ["No", "NO", "False", "n", "N", "0"];
    let mut table: Vec<(Cell, Want)> = Vec::new();
    table.extend(yes.iter().map(|s| (text(s), Is(Value::Bool(true)))));
    table.extend(no.iter().map(|s| (text(s), Is(Value::Bool(false)))));
    table.extend([
        (Cell::Bool(true), Is(Value::Bool(true))),
        (Cell::Bool(false), Is(Value::Bool(false))),
        (Cell::Number(1.0), Is(Value::Bool(true))),
        (Cell::Number(0.0), Is(Value::Bool(false))),
        (
            text("maybe"),
            Bad("cannot read `maybe` as Yes/No: write Yes or No (True/False, Y/N"),
        ),
        (text("yes please"), Bad("cannot read")),
        (Cell::Number(2.0), Bad("cannot read `2` as Yes/No")),
        (Cell::DateSerial(45_000.0), Bad("cannot read `2023-03-15`")),
    ]);
    run("Do Not Contact", US, table);
}

#[test]
fn emails_are_kept_but_flagged() {
    run(
        "Email",
        US,
        vec![
            (text(" info@acme.example "), txt("info@acme.example")),
            (
                text("Jane.Doe+crm@mail.acme.co.uk"),
                txt("Jane.Doe+crm@mail.acme.co.uk"),
            ),
            (
                text("joe@acmecom"),
                Warn(
                    "joe@acmecom",
                    "`joe@acmecom` does not look like an e-mail address; \
                     it was imported as written: check it",
                ),
            ),
            (
                text("joe"),
                Warn("joe", "does not look like an e-mail address"),
            ),
            (
                text("joe @acme.com"),
                Warn("joe @acme.com", "imported as written"),
            ),
            (text("a@b@acme.com"), Warn("a@b@acme.com", "check it")),
            (text("joe@acme.c"), Warn("joe@acme.c", "check it")),
            (text("@acme.com"), Warn("@acme.com", "check it")),
            (Cell::Number(42.0), Warn("42", "`42` does not look like")),
            (
                text(&format!("{}@acme.com", "a".repeat(250))),
                Long("is 259 characters long"),
            ),
        ],
    );
    check(
        "Contact Email",
        text("jane@acme.example"),
        US,
        &txt("jane@acme.example"),
    );
}

#[test]
fn web_addresses_are_kept_but_flagged() {
    run(
        "Website",
        US,
        vec![
            (text("https://acme.example"), txt("https://acme.example")),
            (
                text("http://acme.example/about?x=1"),
                txt("http://acme.example/about?x=1"),
            ),
            (text(" www.acme.com "), txt("www.acme.com")),
            (text("acme.com/contact"), txt("acme.com/contact")),
            (
                text("acme"),
                Warn(
                    "acme",
                    "`acme` does not look like a web address; it was imported as written",
                ),
            ),
            (text("https://acme"), Warn("https://acme", "check it")),
            (text("www.acme .com"), Warn("www.acme .com", "check it")),
            (text("ftp://acme.com"), Warn("ftp://acme.com", "check it")),
        ],
    );
}

#[test]
fn long_values_are_shortened_in_messages() {
    let junk = "z".repeat(500);
    let got = parse_cell(field_by_header("Birthdate").unwrap(), &text(&junk), US);
    let Parsed::Unreadable(msg) = got else {
        panic!("{got:?}")
    };
    assert!(msg.contains(&format!("`{}…`", "z".repeat(60))), "{msg}");
    assert!(msg.len() < 200, "{msg}");
}

/// Regression: a money cell from xlsx read as `133064600` while the same
/// amount typed in a CSV read as `133064600.00`.
#[test]
fn amounts_read_the_same_from_number_cells_and_text() {
    let Some(field) = field_by_header("Annual Revenue") else {
        panic!("no Annual Revenue field")
    };
    let shown = |cell: Cell| match parse_cell(field, &cell, DateFormat::Us) {
        Parsed::Value(v) => v.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(shown(Cell::Number(133_064_600.0)), "133064600.00");
    assert_eq!(shown(text("$133,064,600.00")), "133064600.00");
    assert_eq!(shown(Cell::Number(1234.5)), shown(text("1,234.50")));
    assert_eq!(shown(text("0.125")), "0.125");
}
