//! Flags of `usergraph export` and `usergraph import`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::StoreArgs;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write (default: standard output).
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// The store to export, as for `serve`.
    #[arg(
        long,
        env = "USERGRAPH_DATABASE_URL",
        default_value = "redb://./data/usergraph.redb"
    )]
    pub database_url: String,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// An export file (JSON Lines) or a CSV file with a header row.
    pub file: PathBuf,

    /// The file's format (default: `csv` for a `.csv` file, else `jsonl`).
    #[arg(long, value_enum)]
    pub format: Option<ImportFormat>,

    /// Make users and roles that exist already what the file says (the
    /// default skips them, so that re-running an import changes nothing).
    #[arg(long)]
    pub update_existing: bool,

    /// Stop at the first bad line (the default reports it and goes on).
    #[arg(long)]
    pub fail_fast: bool,

    /// The store to import into, as for `serve`.
    #[arg(
        long,
        env = "USERGRAPH_DATABASE_URL",
        default_value = "redb://./data/usergraph.redb"
    )]
    pub database_url: String,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    Jsonl,
    Csv,
}

impl ImportArgs {
    pub fn format(&self) -> ImportFormat {
        self.format.unwrap_or_else(|| {
            let csv = self
                .file
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
            if csv {
                ImportFormat::Csv
            } else {
                ImportFormat::Jsonl
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Action, Cli};

    fn parse(args: &[&str]) -> Action {
        Cli::try_parse_from(args).unwrap().action()
    }

    #[test]
    fn import_reads_the_format_from_the_extension_unless_told() {
        let Action::Import(args) = parse(&["usergraph", "import", "people.CSV"]) else {
            panic!("expected import");
        };
        assert_eq!(args.format(), ImportFormat::Csv);
        assert!(!args.update_existing && !args.fail_fast);
        let Action::Import(args) = parse(&[
            "usergraph",
            "import",
            "dump.txt",
            "--update-existing",
            "--fail-fast",
            "--database-url",
            "sled://./data/sled",
        ]) else {
            panic!("expected import");
        };
        assert_eq!(args.format(), ImportFormat::Jsonl);
        assert!(args.update_existing && args.fail_fast);
        assert_eq!(args.database_url, "sled://./data/sled");
        let Action::Import(args) = parse(&["usergraph", "import", "a.csv", "--format", "jsonl"])
        else {
            panic!("expected import");
        };
        assert_eq!(args.format(), ImportFormat::Jsonl);
    }

    #[test]
    fn export_writes_to_stdout_unless_given_a_file() {
        let Action::Export(args) = parse(&["usergraph", "export"]) else {
            panic!("expected export");
        };
        assert_eq!(args.output, None);
        let Action::Export(args) = parse(&["usergraph", "export", "--output", "users.jsonl"])
        else {
            panic!("expected export");
        };
        assert_eq!(args.output, Some(PathBuf::from("users.jsonl")));
    }
}
