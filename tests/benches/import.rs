//! How long importing an export file takes, and exporting it again.
//!
//! ```sh
//! cargo bench -p usergraph-tests --bench import -- --users 1000000 \
//!     [--backend redb|sled|postgres] [--dir /work/bench-data]
//! ```
//!
//! The file (`DIR/import-N.jsonl`, made once and reused) holds N users of
//! the test population (`usergraph_tests::population`): five in six with
//! a bcrypt, Argon2id or Argon2i digest, a third with identities or extra
//! roles. It is imported into a fresh store (a file under DIR, or a schema
//! of its own in the PostgreSQL at `DATABASE_URL`), removed afterwards; the
//! import time includes PostgreSQL's closing `ANALYZE`. Progress goes to stderr every 10 s; the figures to stdout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

/// The `usergraph` binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use usergraph_core::transfer::format::{Header, Record, RoleRecord};
use usergraph_core::transfer::{self, ImportOptions, Progress, import_jsonl};
use usergraph_core::{Caller, Service, ServiceSettings, Storage, time};
use usergraph_postgres::{PostgresOptions, PostgresStorage};
use usergraph_tests::population::{Digests, Person, ROLES};

struct Args {
    users: u64,
    backend: String,
    dir: PathBuf,
}

fn args() -> Args {
    let mut args = Args {
        users: 100_000,
        backend: "redb".to_owned(),
        dir: PathBuf::from("/work/bench-data"),
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        match flag.as_str() {
            "--users" => args.users = raw.next().unwrap().parse().unwrap(),
            "--backend" => args.backend = raw.next().unwrap(),
            "--dir" => args.dir = PathBuf::from(raw.next().unwrap()),
            // cargo bench adds `--bench`.
            _ => {}
        }
    }
    args
}

/// Writes the export file of `users` people, oldest first (one created
/// each millisecond from November 2023).
fn generate(path: &Path, users: u64) {
    let digests = Digests::new();
    let mut out = BufWriter::new(File::create(path).unwrap());
    serde_json::to_writer(&mut out, &Header::current()).unwrap();
    out.write_all(b"\n").unwrap();
    for i in 0..users {
        let created = time::from_micros(1_700_000_000_000_000 + i as i64 * 1000).unwrap();
        let record = Record::User(Box::new(Person::nth(i, &digests).record(i, created)));
        serde_json::to_writer(&mut out, &record).unwrap();
        out.write_all(b"\n").unwrap();
    }
    for (n, (name, permissions, is_default)) in ROLES.iter().enumerate() {
        let record = Record::Role(RoleRecord {
            id: Some(format!("role{n}")),
            name: (*name).to_owned(),
            description: None,
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            is_default: *is_default,
            created_at: None,
            updated_at: None,
        });
        serde_json::to_writer(&mut out, &record).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}

/// Prints a line to stderr every 10 s.
struct Every10s {
    total: Option<u64>,
    done: u64,
    started: Instant,
    last: Instant,
}

impl Every10s {
    fn new() -> Self {
        Every10s {
            total: None,
            done: 0,
            started: Instant::now(),
            last: Instant::now(),
        }
    }
}

impl Progress for Every10s {
    fn start(&mut self, total: Option<u64>) {
        self.total = total;
        self.started = Instant::now();
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        if self.last.elapsed() >= Duration::from_secs(10) {
            self.last = Instant::now();
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64();
            eprintln!(
                "  {} of {:?} records, {rate:.0}/s",
                self.done,
                self.total.unwrap_or(0)
            );
        }
    }

    fn finish(&mut self) {}
}

/// A fresh store: a file or directory under the data directory, or a
/// PostgreSQL schema of its own (`DATABASE_URL`), dropped afterwards.
enum Store {
    Embedded(Arc<dyn Storage>, PathBuf),
    Postgres(PostgresStorage, String),
}

impl Store {
    async fn open(backend: &str, dir: &Path) -> Store {
        let name = format!("import_bench_{}", std::process::id());
        let path = dir.join(format!("{name}.{backend}"));
        match backend {
            "redb" => Store::Embedded(
                Arc::new(usergraph_redb::RedbStorage::open(&path).unwrap()),
                path,
            ),
            "sled" => Store::Embedded(
                Arc::new(usergraph_sled::SledStorage::open(&path).unwrap()),
                path,
            ),
            "postgres" => {
                let url = std::env::var("DATABASE_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
                let options = PostgresOptions {
                    schema: Some(name.clone()),
                    ..PostgresOptions::default()
                };
                Store::Postgres(PostgresStorage::connect(&url, options).await.unwrap(), name)
            }
            other => panic!("unknown backend {other:?} (redb, sled or postgres)"),
        }
    }

    fn storage(&self) -> Arc<dyn Storage> {
        match self {
            Store::Embedded(storage, _) => Arc::clone(storage),
            Store::Postgres(storage, _) => Arc::new(storage.clone()),
        }
    }

    /// What the store takes on disk (PostgreSQL: the schema's tables and
    /// indexes).
    async fn disk_size(&self) -> u64 {
        match self {
            Store::Embedded(_, path) => disk_size(path),
            Store::Postgres(storage, schema) => {
                let size: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint \
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = $1 AND c.relkind = 'r'",
                )
                .bind(schema)
                .fetch_one(storage.pool())
                .await
                .unwrap();
                u64::try_from(size).unwrap_or(0)
            }
        }
    }

    async fn remove(self) {
        match self {
            Store::Embedded(storage, path) => {
                drop(storage);
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).unwrap();
                } else {
                    std::fs::remove_file(&path).unwrap();
                }
            }
            Store::Postgres(storage, schema) => {
                // The schema name is made from the process id alone.
                let drop_schema = format!("DROP SCHEMA {schema} CASCADE");
                sqlx::query(sqlx::AssertSqlSafe(drop_schema))
                    .execute(storage.pool())
                    .await
                    .unwrap();
            }
        }
    }
}

/// Bytes this process has caused to be written to storage so far (Linux
/// `write_bytes` in `/proc/self/io`), 0 when unknown.
fn written_bytes() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines()
        .find_map(|line| line.strip_prefix("write_bytes:"))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(0)
}

/// The bytes a store takes on disk: its file, or every file under its
/// directory.
fn disk_size(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|entry| disk_size(&entry.unwrap().path()))
            .sum()
    } else {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

/// The load average over the last minute, as `uptime` shows it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

/// The process's peak resident memory (Linux `VmHWM`), 0 when unknown.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib / 1024)
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0 * 1024.0)
}

fn main() {
    let args = args();
    std::fs::create_dir_all(&args.dir).unwrap();
    let file = args.dir.join(format!("import-{}.jsonl", args.users));
    if !file.exists() {
        let started = Instant::now();
        let partial = file.with_extension("jsonl.partial");
        generate(&partial, args.users);
        std::fs::rename(&partial, &file).unwrap();
        eprintln!("generated {} in {:.1?}", file.display(), started.elapsed());
    }
    let size = std::fs::metadata(&file).unwrap().len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::open(&args.backend, &args.dir).await;
        let service = Service::new(store.storage(), ServiceSettings::default()).unwrap();
        let caller = Caller::system();
        let input = BufReader::new(File::open(&file).unwrap());
        let written_before = written_bytes();
        let started = Instant::now();
        let report = import_jsonl(
            &service,
            &caller,
            input,
            ImportOptions::default(),
            &mut Every10s::new(),
        )
        .await
        .unwrap();
        let imported = started.elapsed();
        let written = written_bytes() - written_before;
        let load = load_average();
        let store_size = store.disk_size().await;
        assert_eq!(report.failed, 0, "{:?}", report.errors.first());
        assert_eq!(report.created, args.users + ROLES.len() as u64);

        let started = Instant::now();
        let summary = transfer::export(
            &service,
            &caller,
            std::io::sink(),
            &mut transfer::NoProgress,
        )
        .await
        .unwrap();
        let exported = started.elapsed();
        assert_eq!(summary.users, args.users);

        let per_second = |d: Duration| args.users as f64 / d.as_secs_f64();
        println!(
            "## import benchmark: {} users into {}",
            args.users, args.backend
        );
        println!(
            "file: {} ({:.0} MiB)",
            file.display(),
            size as f64 / 1048576.0
        );
        println!(
            "import: {:.1} s ({:.0} users/s)",
            imported.as_secs_f64(),
            per_second(imported)
        );
        println!(
            "export: {:.1} s ({:.0} users/s)",
            exported.as_secs_f64(),
            per_second(exported)
        );
        println!(
            "written by the import: {:.2} GiB; store: {:.2} GiB ({:.1}x)",
            gib(written),
            gib(store_size),
            written as f64 / store_size.max(1) as f64
        );
        println!("peak memory (import and export): {} MiB", peak_rss_mib());
        println!("load average (1 min) after the import: {load}");
        drop(service);
        store.remove().await;
    });
}
