//! Deterministic lead rows for the benchmark.
//!
//! Row `i` is drawn from its own splitmix64 stream seeded from a fixed seed
//! and `i`, so every run on every machine writes the same files, and the
//! update file can recompute the row it changes without keeping the first
//! file in memory. Values are realistic and valid: list items of PRODUCT.md
//! section 8, US/CA rows with a state of their country, phones and postal
//! codes with leading zeros, amounts like `$1,234.50`, dates of both orders.

use crate::words::*;

const SEED: u64 = 0x1EAD_6E12_0000_0006;

/// One cell: how it is written depends on the format (CSV text or a typed
/// xlsx cell); see `files`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    /// Cents; `symbol` writes `$1,234.50` in CSV, else `1,234.50`.
    Money {
        cents: u64,
        symbol: bool,
    },
    Int(u64),
    /// 0–100; CSV writes `40%` when `sign`.
    Percent {
        value: u64,
        sign: bool,
    },
    /// Days since 1970-01-01; CSV writes `MM/DD/YYYY` when `us`, else ISO.
    Date {
        days: i64,
        us: bool,
    },
    /// Days since 1970-01-01 and minutes after midnight.
    DateTime {
        days: i64,
        minutes: u32,
    },
}

/// splitmix64, one stream per (file, row).
pub struct Rng(u64);

impl Rng {
    pub fn for_row(stream: u64, i: u64) -> Rng {
        Rng(SEED
            ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)
            ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// Lower-case ASCII for e-mail addresses and host names.
fn slug(s: &str) -> String {
    s.to_lowercase()
        .replace(' ', "-")
        .replace('í', "i")
        .replace('ü', "ue")
        .replace('\'', "")
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The civil date of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn date(rng: &mut Rng, from: i64, to: i64, us: bool) -> Value {
    let days = rng.range(days_from_civil(from, 1, 1), days_from_civil(to, 12, 31));
    Value::Date { days, us }
}

fn place_of(rng: &mut Rng) -> (usize, Place) {
    // Half US, a fifth CA, the rest GB and DE: the table's own proportions.
    let idx = rng.below(PLACES.len() as u64) as usize;
    (idx, PLACES[idx])
}

fn postal(rng: &mut Rng, p: Place) -> String {
    match p.0 {
        "US" => format!("{}{:02}", p.3, rng.below(100)),
        "CA" => format!(
            "{} {}{}{}",
            p.3,
            rng.below(10),
            (b'A' + rng.below(26) as u8) as char,
            rng.below(10)
        ),
        "GB" => format!("{} {}AA", p.3, 1 + rng.below(9)),
        _ => format!("{}{:03}", p.3, rng.below(1000)),
    }
}

fn phone(rng: &mut Rng, p: Place) -> String {
    format!("{}{:04}", p.4, rng.below(10_000))
}

/// Lead row `i` (0-based) of the first file: all 37 columns.
pub fn lead(i: u64) -> Vec<Value> {
    let mut r = Rng::for_row(1, i);
    let mut row = vec![Value::Empty; 37];
    let (adj, noun) = (r.pick(&ADJ), r.pick(&NOUN));
    let num = 1 + r.below(9_999);
    let domain = format!("{}-{}-{num}.com", slug(adj), slug(noun));
    row[1] = text(format!("{adj} {noun} {num} {}", r.pick(&SUFFIX)));
    row[2] = text(format!("EXP-{:06}", i + 1));
    row[3] = text(r.pick(&LEAD_STATUS));
    row[4] = text(r.pick(&LEAD_SOURCE));
    row[5] = text(r.pick(&INDUSTRY));
    row[6] = text(format!("info@{domain}"));
    let (_, p) = place_of(&mut r);
    row[7] = text(phone(&mut r, p));
    row[8] = text(format!("https://www.{domain}"));
    row[9] = text(format!("{} {}", 1 + r.below(2_000), r.pick(&STREET)));
    if r.chance(30) {
        row[10] = text(format!("Suite {}", 100 + r.below(900)));
    }
    row[11] = text(p.1);
    row[12] = if p.2.is_empty() {
        Value::Empty
    } else {
        text(p.2)
    };
    row[13] = text(postal(&mut r, p));
    row[14] = text(p.0);
    if r.chance(50) {
        row[15] = date(&mut r, 1940, 2000, true);
    }
    if r.chance(70) {
        let symbol = r.chance(70);
        row[16] = Value::Money {
            cents: 10_000 * r.below(5_000_000) + 50 * r.below(2),
            symbol,
        };
    }
    if r.chance(80) {
        row[17] = Value::Int(1 + r.below(50_000));
    }
    row[18] = text(if r.chance(10) { "Yes" } else { "No" });
    if r.chance(50) {
        row[19] = text(r.pick(&NOTE));
    }
    if r.chance(60) {
        let (first, last) = (r.pick(&FIRST), r.pick(&LAST));
        row[20] = text(first);
        row[21] = text(last);
        row[22] = text(r.pick(&TITLE));
        row[23] = text(format!("{}.{}@{domain}", slug(first), slug(last)));
        row[24] = text(phone(&mut r, p));
        if r.chance(70) {
            row[25] = text(format!("07700 9{:05}", r.below(100_000)));
        }
        if r.chance(40) {
            row[26] = date(&mut r, 1950, 2002, false);
        }
    }
    if r.chance(40) {
        row[27] = text(r.pick(&SUBJECT));
        row[28] = text(r.pick(&COMM_TYPE));
        let days = r.range(days_from_civil(2024, 1, 1), days_from_civil(2026, 6, 30));
        row[29] = Value::DateTime {
            days,
            minutes: 8 * 60 + 15 * r.below(40) as u32,
        };
        row[30] = text(r.pick(&NOTE));
    }
    if r.chance(30) {
        row[31] = text(r.pick(&OPP_TITLE));
        row[32] = text(r.pick(&OPP_STAGE));
        row[33] = Value::Money {
            cents: 100 * (500 + r.below(250_000)),
            symbol: r.chance(30),
        };
        row[34] = date(&mut r, 2025, 2027, false);
        row[35] = Value::Percent {
            value: 10 * r.below(11),
            sign: r.chance(50),
        };
        if r.chance(50) {
            row[36] = text(r.pick(&NOTE));
        }
    }
    row
}

/// Whether lead `i` is in the update file: 10% of the leads.
pub fn updated(i: u64) -> bool {
    i % 10 == 7
}

/// The update row of lead `i` (see [`UPDATE_HEADERS`]): a new City and
/// Lead Status always, a new Phone on about half the rows; no CRM ID and
/// no sub-category fields.
pub fn update(i: u64) -> Vec<Value> {
    let old = lead(i);
    let mut r = Rng::for_row(2, i);
    let mut row = vec![Value::Empty; 4];
    row[0] = old[2].clone();
    // The lead moves to a suburb of its city ("Boston Heights": no base
    // city is called that, so the City always changes), same state.
    let place = PLACES
        .iter()
        .copied()
        .find(|p| Value::Text(p.1.to_string()) == old[11])
        .unwrap_or(PLACES[0]);
    row[1] = text(format!("{} Heights", place.1));
    let status = LEAD_STATUS
        .iter()
        .position(|s| Value::Text(s.to_string()) == old[3])
        .unwrap_or(0);
    row[2] = text(LEAD_STATUS[(status + 1 + r.below(4) as usize) % LEAD_STATUS.len()]);
    if r.chance(50) {
        row[3] = text(phone(&mut r, place));
    }
    row
}
