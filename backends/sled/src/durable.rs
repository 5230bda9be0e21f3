//! What sled 0.34 leaves unsynced, synced after its flush.
//!
//! sled's flush writes its log file `db` with `sync_file_range`: the pages
//! are written, but neither the file's metadata (its new size, newly
//! allocated blocks) nor the drive's write cache is flushed, so a commit it
//! acknowledged survives a killed process but not a power loss. Pages too
//! large for the log go to files under `blobs/`, which sled never syncs, and
//! the files and directories it creates at start are not synced either.
//! [`DataFiles`] syncs all of these: once at open, then after every flush.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
#[cfg(test)]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

/// The files of one sled store that need syncing, opened again here: sled
/// keeps its own handles private, and on Linux an `fsync` on any handle of
/// a file writes out all of its dirty pages.
#[derive(Debug)]
pub(crate) struct DataFiles {
    dir: PathBuf,
    db: File,
    /// Each blob synced so far, with the length it had then. sled writes a
    /// blob once and names it by a log sequence number it never reuses; the
    /// length catches one still being written by sled's background cleanup
    /// when it was synced.
    blobs: Mutex<HashMap<u64, u64>>,
    /// Every file and directory synced, relative to `dir`, in order.
    #[cfg(test)]
    synced: Mutex<Vec<PathBuf>>,
    /// Makes the next [`DataFiles::sync`] fail, as a full or broken disk would.
    #[cfg(test)]
    pub(crate) fail_next_sync: AtomicBool,
}

const LOG: &str = "db";
const CONFIG: &str = "conf";
const BLOBS: &str = "blobs";

impl DataFiles {
    /// Syncs the store sled has just opened in `dir`: its files, its
    /// `blobs/` directory and every blob in it, and the directory itself
    /// (which records that the files exist).
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        let files = DataFiles {
            dir: dir.to_path_buf(),
            db: File::open(dir.join(LOG))?,
            blobs: Mutex::new(HashMap::new()),
            #[cfg(test)]
            synced: Mutex::new(Vec::new()),
            #[cfg(test)]
            fail_next_sync: AtomicBool::new(false),
        };
        files.sync_file(Path::new(CONFIG), &File::open(dir.join(CONFIG))?)?;
        files.sync_file(Path::new(LOG), &files.db)?;
        files.sync_blobs()?;
        files.sync_dir(Path::new(BLOBS))?;
        files.sync_dir(Path::new(""))?;
        Ok(files)
    }

    /// Makes what sled's flush wrote durable: new blobs (and the directory
    /// entries naming them) first, so that the log never points at a blob
    /// that might be missing, then the log.
    pub(crate) fn sync(&self) -> io::Result<()> {
        #[cfg(test)]
        if self.fail_next_sync.swap(false, Ordering::SeqCst) {
            return Err(io::Error::other("injected sync failure"));
        }
        if self.sync_blobs()? {
            self.sync_dir(Path::new(BLOBS))?;
        }
        self.sync_file(Path::new(LOG), &self.db)
    }

    /// Syncs every blob not synced at its current length; whether any was.
    fn sync_blobs(&self) -> io::Result<bool> {
        let mut synced = self.blobs.lock().unwrap_or_else(PoisonError::into_inner);
        let mut present = HashMap::with_capacity(synced.len());
        let mut any = false;
        for entry in std::fs::read_dir(self.dir.join(BLOBS))? {
            let entry = entry?;
            // sled names blobs by number; anything else is not sled's.
            let Some(id) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let len = entry.metadata()?.len();
            if synced.get(&id) != Some(&len) {
                let name = Path::new(BLOBS).join(entry.file_name());
                self.sync_file(&name, &File::open(entry.path())?)?;
                any = true;
            }
            present.insert(id, len);
        }
        // sled deletes blobs it no longer needs; forget them.
        *synced = present;
        Ok(any)
    }

    fn sync_file(&self, name: &Path, file: &File) -> io::Result<()> {
        // The data and what is needed to read it back (the size), not the
        // times: an fdatasync.
        file.sync_data()?;
        self.record(name);
        Ok(())
    }

    fn sync_dir(&self, name: &Path) -> io::Result<()> {
        File::open(self.dir.join(name))?.sync_all()?;
        self.record(name);
        Ok(())
    }

    #[cfg(test)]
    fn record(&self, name: &Path) {
        self.synced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(name.to_path_buf());
    }

    #[cfg(not(test))]
    fn record(&self, _name: &Path) {}

    /// Every file and directory synced so far, and forgets them.
    #[cfg(test)]
    pub(crate) fn take_synced(&self) -> Vec<PathBuf> {
        std::mem::take(&mut *self.synced.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// `create_dir_all`, then syncs the parent of each directory it made, so
/// that they still exist after a power loss.
pub(crate) fn create_dirs(path: &Path) -> io::Result<()> {
    let mut made = Vec::new();
    let mut next = Some(path);
    while let Some(dir) = next {
        if dir.as_os_str().is_empty() || dir.exists() {
            break;
        }
        made.push(dir);
        next = dir.parent();
    }
    std::fs::create_dir_all(path)?;
    for dir in made {
        let parent = match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}
