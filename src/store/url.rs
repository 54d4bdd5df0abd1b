//! An [`ObjectStore`] from a URL and the environment (feature `object-store`): how a deployment
//! names its buckets in flags and configuration.

use std::sync::Arc;

use object_store::path::Path;
use object_store::ObjectStore;

use crate::{Error, Result};

/// The prefixes of the environment variables the `object_store` backends read their options
/// from (credentials, region, endpoint: `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, …).
const OPTION_PREFIXES: [&str; 3] = ["AWS_", "GOOGLE_", "AZURE_"];

/// Opens the object store `url` names, with the path inside it: `file:///srv/variants`,
/// `memory://` (a new empty store, private to this call: useful within one process only, e.g.
/// in tests), or, when your build enables the backend's `object_store` feature, `s3://bucket/prefix`,
/// `gs://…`, `az://…`, `https://…`. Options come from the environment as `object_store`'s
/// builders read them: every variable starting with `AWS_`, `GOOGLE_` or `AZURE_`, by its
/// lower-cased name (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, …).
///
/// ```
/// use person_image::store::open_url;
/// let (store, prefix) = open_url("memory:///variants")?;
/// assert_eq!(prefix.as_ref(), "variants");
/// # let _ = store;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::Store`] naming the URL when it does not parse, its scheme's backend is not built
/// in, or the backend refuses the options.
pub fn open_url(url: &str) -> Result<(Arc<dyn ObjectStore>, Path)> {
    // The cause goes into the message too: it is what a misspelt flag needs to show.
    let failed = |error: &dyn std::fmt::Display| format!("opening the object store {url}: {error}");
    let parsed = ::url::Url::parse(url).map_err(|e| Error::store(failed(&e), e))?;
    let options = std::env::vars().filter(|(name, _)| {
        OPTION_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
    });
    let (store, path) =
        object_store::parse_url_opts(&parsed, options).map_err(|e| Error::store(failed(&e), e))?;
    Ok((Arc::from(store), path))
}
