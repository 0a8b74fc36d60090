//! Many order lines at once from a spreadsheet: the CSV a buyer uploads or pastes, read the
//! way German offices write it (`;` or `,`, decimal comma, with or without BOM), each line
//! checked by the same rules as the single order form ([`OrderInput::parse`]).

use super::lot::{FieldError, OrderInput};
use crate::domain::ids::SiteId;

/// At most this many lines in one upload.
pub const MAX_UPLOAD_LINES: usize = 10_000;

/// A delivery site the buyer may order for: id, name and the member's own site code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteChoice {
    pub id: SiteId,
    pub name: String,
    pub code: String,
}

/// One line of the upload as read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadLine {
    /// The line of the file it came from (the header is line 1).
    pub line: u64,
    /// The site as written in the file.
    pub site_text: String,
    pub site: Option<SiteId>,
    pub input: Option<OrderInput>,
    pub quantity_text: String,
    pub limit_text: String,
    pub reference_text: String,
    pub errors: Vec<FieldError>,
}

/// Why the file as a whole cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Nothing but blank lines.
    Empty,
    /// The header lacks a column the upload needs (message key of the column).
    MissingColumn(&'static str),
    TooManyLines,
    /// The CSV itself is broken at this line.
    Malformed(u64),
}

impl FileError {
    pub fn key(&self) -> &'static str {
        match self {
            FileError::Empty => "upload.empty",
            FileError::MissingColumn(_) => "upload.missing_column",
            FileError::TooManyLines => "upload.too_many_lines",
            FileError::Malformed(_) => "upload.malformed",
        }
    }
}

#[derive(Debug, Default)]
struct Columns {
    site: Option<usize>,
    code: Option<usize>,
    quantity: Option<usize>,
    limit: Option<usize>,
    reference: Option<usize>,
}

fn normalise(header: &str) -> String {
    header
        .trim()
        .trim_matches('"')
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn columns(header: &csv::StringRecord) -> Columns {
    let mut c = Columns::default();
    for (i, name) in header.iter().enumerate() {
        let slot = match normalise(name).as_str() {
            "lieferort" | "standort" | "site" | "deliverysite" => &mut c.site,
            "standortkennung" | "kennung" | "lieferortkennung" | "sitecode" | "code" => &mut c.code,
            "menge" | "anzahl" | "stück" | "stueck" | "quantity" => &mut c.quantity,
            "preisobergrenze" | "preisgrenze" | "limit" | "limitprice" | "maxunitprice" => {
                &mut c.limit
            }
            "referenz" | "bestellreferenz" | "reference" => &mut c.reference,
            _ => continue,
        };
        slot.get_or_insert(i);
    }
    c
}

/// Would a spreadsheet run this cell as a formula? (A plain negative number is data.)
fn is_formula(cell: &str) -> bool {
    let cell = cell.trim_start();
    if let Some(rest) = cell.strip_prefix('-') {
        return !rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
    }
    cell.starts_with(['=', '+', '@'])
}

/// The separator the file uses: the one its header line holds most of.
fn delimiter(first_line: &str) -> u8 {
    let count = |c| first_line.matches(c).count();
    [(';', b';'), ('\t', b'\t'), (',', b',')]
        .into_iter()
        .max_by_key(|(c, _)| count(*c))
        .filter(|(c, _)| count(*c) > 0)
        .map_or(b';', |(_, b)| b)
}

/// The line (from 1) where the record starting at a byte offset of the text begins (the
/// reader may place it on the line breaks before it).
fn line_at(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    bytes[..start].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// Reads an upload against the member's active sites and the lot's order increment.
/// Every line is returned with its own errors; the file as a whole fails only when it
/// cannot be read as a table of orders.
pub fn read(
    text: &str,
    sites: &[SiteChoice],
    increment: u64,
) -> Result<Vec<UploadLine>, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(FileError::Empty)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(first))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|_| FileError::Malformed(1))?
        .clone();
    let cols = columns(&header);
    let quantity_col = cols
        .quantity
        .ok_or(FileError::MissingColumn("order.quantity"))?;
    if cols.site.is_none() && cols.code.is_none() {
        return Err(FileError::MissingColumn("order.site"));
    }
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            FileError::Malformed(e.position().map_or(0, |p| line_at(text, p.byte())))
        })?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if lines.len() >= MAX_UPLOAD_LINES {
            return Err(FileError::TooManyLines);
        }
        // The csv reader's own line count skips blank lines; the byte offset does not.
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        let cell = |col: Option<usize>| {
            col.and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let (site_text, code_text) = (cell(cols.site), cell(cols.code));
        let (quantity_text, limit_text, reference_text) = (
            cell(Some(quantity_col)),
            cell(cols.limit),
            cell(cols.reference),
        );
        let mut errors = Vec::new();
        if record.iter().any(is_formula) {
            errors.push(FieldError::new("line", "upload.formula"));
        }
        let input = match OrderInput::parse(&quantity_text, &limit_text, &reference_text, increment)
        {
            Ok(input) => Some(input),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let same = |a: &str, b: &str| !a.is_empty() && a.to_lowercase() == b.trim().to_lowercase();
        let site = sites
            .iter()
            .find(|s| same(&code_text, &s.code))
            .or_else(|| sites.iter().find(|s| same(&site_text, &s.name)))
            .map(|s| s.id);
        if site.is_none() {
            let written = if code_text.is_empty() {
                site_text.clone()
            } else {
                code_text.clone()
            };
            errors.push(FieldError::new("site", "upload.unknown_site").with("site", written));
        }
        lines.push(UploadLine {
            line,
            site_text: if site_text.is_empty() {
                code_text
            } else {
                site_text
            },
            site,
            input: if errors.is_empty() { input } else { None },
            quantity_text,
            limit_text,
            reference_text,
            errors,
        });
    }
    if lines.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> Vec<SiteChoice> {
        vec![
            SiteChoice {
                id: SiteId(1),
                name: "Gesamtschule Lemgo".into(),
                code: "GS-01".into(),
            },
            SiteChoice {
                id: SiteId(2),
                name: "Kreishaus Detmold".into(),
                code: "".into(),
            },
        ]
    }

    #[test]
    fn reads_a_german_spreadsheet_with_bom_semicolons_and_decimal_commas() {
        let text = "\u{feff}Lieferort;Menge;Preisobergrenze;Referenz\r\nGesamtschule Lemgo;10;899,50;A-1\r\n\r\nkreishaus detmold;5;;\r\n";
        let lines = read(text, &sites(), 5).expect("read");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[0].site, Some(SiteId(1)));
        let input = lines[0].input.as_ref().expect("valid");
        assert_eq!(input.quantity, 10);
        assert_eq!(
            input.max_unit_price.map(|p| p.to_string()),
            Some("899.5000".into())
        );
        assert_eq!(
            lines[1].line, 4,
            "blank lines keep the numbering of the file"
        );
        assert_eq!(lines[1].site, Some(SiteId(2)));
    }

    #[test]
    fn a_site_code_a_comma_file_and_every_problem_named_by_line() {
        let text = "Standortkennung,Menge,Referenz\nGS-01,7,\nXX,3,\nGS-01,=HYPERLINK(\"x\"),\nGS-01,-4,\n";
        let lines = read(text, &sites(), 1).expect("read");
        assert!(lines[0].errors.is_empty() && lines[0].site == Some(SiteId(1)));
        let keys = |i: usize| lines[i].errors.iter().map(|e| e.key).collect::<Vec<_>>();
        assert_eq!(keys(1), vec!["upload.unknown_site"]);
        assert!(keys(2).contains(&"upload.formula"));
        assert!(keys(3).contains(&"error.quantity_range"));
        assert_eq!(lines[3].line, 5);
    }

    #[test]
    fn files_that_are_no_table_of_orders_are_refused() {
        assert_eq!(read("", &sites(), 1), Err(FileError::Empty));
        assert_eq!(
            read("Name;Anzahl der Tage\nx;1\n", &sites(), 1).err(),
            Some(FileError::MissingColumn("order.quantity"))
        );
        assert_eq!(
            read("Menge\n1\n", &sites(), 1).err(),
            Some(FileError::MissingColumn("order.site"))
        );
        assert_eq!(
            read("Lieferort;Menge\n", &sites(), 1),
            Err(FileError::Empty)
        );
        let many = format!(
            "Lieferort;Menge\n{}",
            "Kreishaus Detmold;1\n".repeat(MAX_UPLOAD_LINES + 1)
        );
        assert_eq!(read(&many, &sites(), 1), Err(FileError::TooManyLines));
    }
}
