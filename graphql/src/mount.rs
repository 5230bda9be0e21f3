//! Where the router is mounted. A host may nest it under a path of its own
//! (`Router::nest("/identity", ...)`); pages that link to their own files
//! or to the API (the console, GraphiQL) compute those links from the path
//! the request came in on.

/// The path the router is mounted at: what the request's original path has
/// before the path the router matched. Empty at the root. Leading slashes
/// are collapsed to one, so that a link made from it never reads as
/// `//host` (another origin).
pub(crate) fn mount_prefix(original: &str, inner: &str) -> String {
    let prefix = match original.strip_suffix(inner) {
        Some(prefix) => prefix,
        // A nested router's root: `/identity` (or `/identity/`) matched `/`.
        None if inner == "/" => original.trim_end_matches('/'),
        None => "",
    };
    let trimmed = prefix.trim_start_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// `path` with every byte percent-encoded that could mean something in an
/// HTML attribute or a script (quotes, angle brackets, ampersands,
/// backslashes): a prefix with a path parameter is whatever the client
/// sent.
pub(crate) fn encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$()*+,;:@%".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_root_and_nested_routers() {
        assert_eq!(mount_prefix("/console/users", "/console/users"), "");
        assert_eq!(mount_prefix("/", "/"), "");
        assert_eq!(mount_prefix("/identity/console/", "/console/"), "/identity");
        assert_eq!(mount_prefix("/identity", "/"), "/identity");
        assert_eq!(mount_prefix("/identity/", "/"), "/identity");
        assert_eq!(mount_prefix("/a/b/graphql", "/graphql"), "/a/b");
    }

    #[test]
    fn a_prefix_never_names_another_host() {
        assert_eq!(
            mount_prefix("//evil.example/console/", "/console/"),
            "/evil.example"
        );
        assert_eq!(mount_prefix("///x", "/"), "/x");
    }

    #[test]
    fn encoding_leaves_nothing_active_in_html_or_scripts() {
        assert_eq!(encode_path("/id-1/graphql"), "/id-1/graphql");
        assert_eq!(
            encode_path("/a\"b'c<d>e&f\\g h"),
            "/a%22b%27c%3Cd%3Ee%26f%5Cg%20h"
        );
    }
}
