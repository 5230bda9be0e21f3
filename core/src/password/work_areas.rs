//! Argon2's memory, kept between hashes.
//!
//! Every Argon2 run fills `m` KiB of blocks. Allocated per run (what
//! `argon2`'s own `hash_password` does), the areas stayed in the process:
//! glibc raises its mmap threshold to the size of the first freed mapping,
//! so later 19 MiB areas came from the arenas of the blocking threads and
//! were kept there. Sign-ins alone took a server from 18 MB to 640-840 MB
//! resident. Here each hashing permit reuses one area of the configured
//! size, made on first use, so hashing holds at most `permits × m` KiB.

use std::sync::{Mutex, PoisonError};

use argon2::Block;

/// Areas of `blocks` blocks, at most `capacity` of them kept.
pub(super) struct WorkAreas {
    blocks: usize,
    capacity: usize,
    free: Mutex<Vec<Vec<Block>>>,
}

impl WorkAreas {
    /// `capacity` is the number of hashing permits: no more areas are ever
    /// in use at once, so no more are kept.
    pub(super) fn new(blocks: usize, capacity: usize) -> Self {
        WorkAreas {
            blocks,
            capacity,
            free: Mutex::new(Vec::with_capacity(capacity)),
        }
    }

    /// Runs `work` on an area of at least `blocks` blocks.
    ///
    /// A digest needing more than the configured size (an imported one made
    /// with more memory, up to the import limit) gets an area of its own for
    /// this call, freed after it: keeping it would hold the largest imported
    /// cost per permit for good.
    pub(super) fn with<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks > self.blocks {
            let mut own = vec![Block::new(); blocks];
            return work(&mut own);
        }
        let mut area = self.take();
        let result = work(&mut area);
        self.put(area);
        result
    }

    fn take(&self) -> Vec<Block> {
        let reused = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        // Argon2 writes every block before it reads it, so a reused area
        // needs no clearing.
        reused.unwrap_or_else(|| vec![Block::new(); self.blocks])
    }

    fn put(&self, area: Vec<Block>) {
        // The pool only holds buffers: a panic while it was locked leaves
        // nothing inconsistent.
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.capacity {
            free.push(area);
        }
    }

    /// How many areas are kept for reuse.
    #[cfg(test)]
    pub(super) fn kept(&self) -> usize {
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
