//! The list layouts the importers read, and the one entry point that reads any of them: a front
//! end (the `ledger` command, a server taking the list as a request body) names the layout, hands
//! over the file's bytes (or a reader) and gets a [`Snapshot`] and the file's provenance back.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use ledger_core::time::Date;

use crate::ofac::{CsvFile, CsvRole};
use crate::reconcile::{SourceFile, file_name};
use crate::{ParseError, Snapshot, eu, ofac, ofac_xml, uk, un};

/// A published list layout, serialized as its name (`uk-csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The UK Sanctions List, CSV (`uk-csv`).
    UkCsv,
    /// The UK Sanctions List, XML (`uk-xml`).
    UkXml,
    /// The UN Security Council Consolidated List, XML (`un-xml`).
    UnXml,
    /// The EU Financial Sanctions Files (consolidated list), XML (`eu-xml`).
    EuXml,
    /// OFAC's SDN list in its legacy CSV files (`ofac-csv`: sdn.csv, add.csv, alt.csv,
    /// sdn_comments.csv).
    OfacCsv,
    /// OFAC's lists in the advanced XML (`ofac-xml`: sdn_advanced.xml, cons_advanced.xml).
    OfacXml,
}

impl Format {
    /// Every layout, in the order the command line lists them.
    pub const ALL: [Format; 6] =
        [Format::UkCsv, Format::UkXml, Format::UnXml, Format::EuXml, Format::OfacCsv, Format::OfacXml];

    /// Its name: `uk-csv`, `uk-xml`, `un-xml`, `eu-xml`, `ofac-csv`, `ofac-xml` (what the command
    /// line takes, and what an imported event's provenance records as `format`).
    pub fn name(self) -> &'static str {
        match self {
            Format::UkCsv => "uk-csv",
            Format::UkXml => "uk-xml",
            Format::UnXml => "un-xml",
            Format::EuXml => "eu-xml",
            Format::OfacCsv => "ofac-csv",
            Format::OfacXml => "ofac-xml",
        }
    }

    /// What it is, in a few words, for a list of the layouts (`ledger import --help`).
    pub fn summary(self) -> &'static str {
        match self {
            Format::UkCsv => "The UK Sanctions List, CSV",
            Format::UkXml => "The UK Sanctions List, XML",
            Format::UnXml => "The UN Security Council Consolidated List, XML",
            Format::EuXml => "The EU Financial Sanctions Files (consolidated list), XML",
            Format::OfacCsv => "OFAC's SDN list in its legacy CSV files (sdn.csv, add.csv, alt.csv, sdn_comments.csv)",
            Format::OfacXml => "OFAC's lists in the advanced XML (sdn_advanced.xml, cons_advanced.xml)",
        }
    }

    /// The layout of that name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The authority whose list it is (`UK`, `UN`, `EU`, `OFAC`).
    pub fn authority(self) -> &'static str {
        match self {
            Format::UkCsv | Format::UkXml => "UK",
            Format::UnXml => "UN",
            Format::EuXml => "EU",
            Format::OfacCsv | Format::OfacXml => "OFAC",
        }
    }

    /// Whether the list carries its own report date. One that does not (ofac-csv) needs the date
    /// it was published from whoever hands it over.
    pub fn is_dated(self) -> bool {
        self != Format::OfacCsv
    }

    /// Whether the list is several files (ofac-csv: one per [`CsvRole`]) rather than one.
    pub fn is_several_files(self) -> bool {
        self == Format::OfacCsv
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::from_name(s).ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// A name that is no list layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a list layout (uk-csv, uk-xml, un-xml, eu-xml, ofac-csv, ofac-xml)")]
pub struct UnknownFormat(pub String);

/// One file of a list, read whole.
#[derive(Debug, Clone)]
pub struct ListFile {
    /// Its name or path, for messages; only the last component is recorded in the provenance.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A list read: what it says, and where it came from.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The designations it lists, as of its report date.
    pub snapshot: Snapshot,
    /// The provenance of its file (for ofac-csv, of its files), recorded in every imported event.
    pub source: SourceFile,
}

/// Why a list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A one-file layout was given another number of files.
    #[error("a {format} list is one file; {given} were given")]
    FileCount {
        /// The layout.
        format: Format,
        /// How many files were given.
        given: usize,
    },
    /// A layout that carries its own date was given one.
    #[error("a {format} list carries its own date; no publication date is taken for it")]
    DateGiven {
        /// The layout.
        format: Format,
    },
    /// A layout that carries no date was given none.
    #[error("{format} files carry no date: the date they were published is needed")]
    DateMissing {
        /// The layout.
        format: Format,
    },
    /// A file of a several-file layout whose name says no role.
    #[error("{name}: not one of OFAC's legacy CSV files (a name ending in sdn.csv, add.csv, alt.csv or comments.csv)")]
    UnknownFile {
        /// The file's name.
        name: String,
    },
    /// The list could not be read from its reader.
    #[error("cannot read {name}: {source}")]
    Io {
        /// The file's name.
        name: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The list's content is not what its layout says.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// Reads a list of layout `format` from its file (for ofac-csv, its files, in any order), with
/// the date it was published for a layout that carries none.
pub fn parse(format: Format, files: &[ListFile], published: Option<Date>) -> Result<Parsed, ReadError> {
    if format.is_dated() && published.is_some() {
        return Err(ReadError::DateGiven { format });
    }
    if format == Format::OfacCsv {
        let published = published.ok_or(ReadError::DateMissing { format })?;
        return parse_ofac_csv(files, published);
    }
    let [file] = files else { return Err(ReadError::FileCount { format, given: files.len() }) };
    let bytes = file.bytes.as_slice();
    let snapshot = match format {
        Format::UkCsv => uk::parse_csv(bytes),
        Format::UkXml => uk::parse_xml(bytes),
        Format::UnXml => un::parse_xml(bytes),
        Format::EuXml => eu::parse_xml(bytes),
        Format::OfacXml => ofac_xml::parse_xml(bytes),
        Format::OfacCsv => unreachable!("ofac-csv is read above"),
    }?;
    Ok(Parsed { snapshot, source: SourceFile::new(&file.name, bytes) })
}

/// Reads a one-file list from `reader` (a request body, standard input) as [`parse`] does;
/// `name` names it in messages and in the provenance.
pub fn parse_reader(
    format: Format,
    name: &str,
    mut reader: impl Read,
    published: Option<Date>,
) -> Result<Parsed, ReadError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|source| ReadError::Io { name: name.to_owned(), source })?;
    parse(format, &[ListFile { name: name.to_owned(), bytes }], published)
}

/// OFAC's legacy CSV files, put in the order of their roles (sdn, add, alt, comments): the order
/// of the manifest whose BLAKE3 the provenance records ([`ofac::source`]).
fn parse_ofac_csv(files: &[ListFile], published: Date) -> Result<Parsed, ReadError> {
    let mut views: Vec<CsvFile> = Vec::with_capacity(files.len());
    for f in files {
        let name = file_name(&f.name);
        let role = CsvRole::of(name).ok_or_else(|| ReadError::UnknownFile { name: f.name.clone() })?;
        views.push(CsvFile { name, role, bytes: &f.bytes });
    }
    let order = |r: CsvRole| {
        [CsvRole::Main, CsvRole::Addresses, CsvRole::Aliases, CsvRole::Comments].iter().position(|o| *o == r)
    };
    views.sort_by_key(|v| order(v.role));
    let snapshot = ofac::parse_csv(&views, published)?;
    Ok(Parsed { snapshot, source: ofac::source(&views) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            assert_eq!(f.to_string().parse::<Format>().ok(), Some(f));
        }
        assert!("uk".parse::<Format>().is_err());
        assert_eq!(Format::OfacXml.authority(), "OFAC");
        assert!(!Format::OfacCsv.is_dated() && Format::EuXml.is_dated());
    }

    #[test]
    fn one_file_one_date() {
        let file = || ListFile { name: "x.csv".into(), bytes: Vec::new() };
        let day = Date::parse("2026-05-01").ok();
        assert!(matches!(parse(Format::UkCsv, &[file(), file()], None), Err(ReadError::FileCount { given: 2, .. })));
        assert!(matches!(parse(Format::UkCsv, &[file()], day), Err(ReadError::DateGiven { .. })));
        assert!(matches!(parse(Format::OfacCsv, &[file()], None), Err(ReadError::DateMissing { .. })));
        assert!(matches!(parse(Format::OfacCsv, &[file()], day), Err(ReadError::UnknownFile { .. })));
        assert!(matches!(parse(Format::UkCsv, &[file()], None), Err(ReadError::Parse(_))));
    }

    #[test]
    fn a_reader_reads_as_a_file_does() {
        let bytes: &[u8] =
            include_bytes!("../../tests/fixtures/lists/un-sample/UN-consolidated-excerpt-2026-02-27.xml");
        let from_reader = parse_reader(Format::UnXml, "dir/un.xml", bytes, None).expect("the UN excerpt");
        let from_file = parse(Format::UnXml, &[ListFile { name: "un.xml".into(), bytes: bytes.to_vec() }], None)
            .expect("the UN excerpt");
        assert_eq!(from_reader.snapshot, from_file.snapshot);
        assert_eq!(from_reader.source.name, "un.xml");
        assert_eq!(from_reader.source.blake3, from_file.source.blake3);
    }
}
