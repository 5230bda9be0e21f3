//! Where the bytes of a redb store go, table by table: what redb itself
//! reports (pages, stored and metadata bytes, fragmentation), for judging
//! a change to the store's layout (BENCHMARKS.md, "a compact store").
//!
//! ```sh
//! cargo run --release -p usergraph-redb --example store_stats -- STORE.redb
//! ```
//!
//! Opens the file read-only in spirit: only a read transaction runs.

#![allow(clippy::print_stdout)]

use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableHandle};

const PAGE: u64 = 4096;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: store_stats STORE.redb".into());
    };
    let db = Database::open(&path)?;
    let txn = db.begin_read()?;
    println!(
        "| table | entries | leaf pages | branch pages | stored MB | metadata MB | fragmented MB | leaf fill |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut total_pages = 0;
    for handle in txn.list_tables()? {
        let table = txn.open_untyped_table(handle.clone())?;
        let stats = table.stats()?;
        let pages = stats.leaf_pages() + stats.branch_pages();
        total_pages += pages;
        let megabytes = |bytes: u64| bytes as f64 / 1e6;
        let fill = stats.stored_bytes() as f64 / (stats.leaf_pages().max(1) * PAGE) as f64;
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0}% |",
            handle.name(),
            table.len()?,
            stats.leaf_pages(),
            stats.branch_pages(),
            megabytes(stats.stored_bytes()),
            megabytes(stats.metadata_bytes()),
            megabytes(stats.fragmented_bytes()),
            fill * 100.0
        );
    }
    println!(
        "\ntables' pages: {:.1} MB; file: {:.1} MB",
        (total_pages * PAGE) as f64 / 1e6,
        std::fs::metadata(&path)?.len() as f64 / 1e6
    );
    Ok(())
}
