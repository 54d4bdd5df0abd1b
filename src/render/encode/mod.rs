//! Pixels to bytes: JPEG, PNG, GIF (animated too) and TIFF, without metadata.

use super::picture::Picture;
use super::RenderOptions;
use crate::format::OutputFormat;
use crate::Result;

/// Encodes `picture` as `format`. JPEG composites alpha over `options.background`.
pub(crate) fn encode(
    picture: &Picture,
    format: OutputFormat,
    options: &RenderOptions,
) -> Result<Vec<u8>> {
    let _ = (picture, format, options);
    Err(crate::Error::Encode {
        reason: "encoder not built yet".into(),
        source: None,
    })
}
