//! Parsed documents by their text. Clients send the same few documents
//! over and over with different variables, and parsing was the largest
//! share of a small request's own work (BENCHMARKS.md, "Over HTTP"). Only
//! parsing is saved: every request's document is still measured against
//! the limits, validated with its variables and run on its own copy, so
//! each gets its own errors.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;

/// Most documents remembered; past it, all are forgotten and the cache
/// fills again with what is sent now.
const MAX_DOCUMENTS: usize = 256;

/// Longer documents are parsed every time, which bounds the memory held.
const MAX_CACHED_BYTES: usize = 16 * 1024;

#[derive(Debug, Default)]
pub(crate) struct DocumentCache {
    documents: Mutex<HashMap<String, ExecutableDocument>>,
}

impl DocumentCache {
    /// Gives `request` the parsed form of its document when the same text
    /// was parsed before. Returns whether it did.
    pub(crate) fn fill(&self, request: &mut Request) -> bool {
        if request.query.len() > MAX_CACHED_BYTES {
            return false;
        }
        let Ok(documents) = self.documents.lock() else {
            return false;
        };
        match documents.get(&request.query) {
            Some(document) => {
                request.set_parsed_query(document.clone());
                true
            }
            None => false,
        }
    }

    /// Remembers the document `request` parsed, if it did.
    pub(crate) fn keep(&self, request: &mut Request) {
        if request.query.len() > MAX_CACHED_BYTES {
            return;
        }
        let Ok(document) = request.parsed_query().cloned() else {
            return;
        };
        let Ok(mut documents) = self.documents.lock() else {
            return;
        };
        if documents.len() >= MAX_DOCUMENTS {
            documents.clear();
        }
        documents.insert(request.query.clone(), document);
    }
}
