//! The chunks of a WebP file, a RIFF container: the one walk shared by the probe (animation
//! frames), the lossy plane path (which chunks a still holds) and the animation encoder (the
//! frames' durations).

/// One chunk of a WebP file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chunk<'a> {
    /// Its FourCC, such as `b"VP8 "` or `b"ANMF"`.
    pub(super) kind: &'a [u8],
    /// Where its payload starts in the file (read by the animation encoder, feature `webp`).
    #[cfg_attr(not(feature = "webp"), allow(dead_code))]
    pub(super) offset: usize,
    /// Its payload, cut short at the end of the file.
    pub(super) payload: &'a [u8],
}

/// The chunks of `bytes` after its 12-byte RIFF header, in file order, stopping at the first
/// chunk header that does not fit.
pub(super) fn chunks(bytes: &[u8]) -> impl Iterator<Item = Chunk<'_>> {
    let mut pos = 12usize;
    std::iter::from_fn(move || {
        let kind = bytes.get(pos..pos.checked_add(4)?)?;
        let length = bytes.get(pos + 4..pos + 8)?;
        let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
        let offset = pos + 8;
        let payload = bytes.get(offset..offset.saturating_add(length).min(bytes.len()))?;
        // Chunks are padded to an even length.
        pos = offset.checked_add(length)?.checked_add(length & 1)?;
        Some(Chunk {
            kind,
            offset,
            payload,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_padded_chunks_and_stops_at_a_header_that_does_not_fit() {
        let mut file = b"RIFF\0\0\0\0WEBP".to_vec();
        file.extend_from_slice(b"VP8X\x03\0\0\0abc\0");
        file.extend_from_slice(b"ANMF\x02\0\0\0de");
        file.extend_from_slice(b"ALPH\x09\0\0\0fg");
        let found: Vec<_> = chunks(&file)
            .map(|chunk| (chunk.kind, chunk.offset, chunk.payload))
            .collect();
        // The last payload is cut short at the end of the file.
        assert_eq!(
            found,
            [
                (&b"VP8X"[..], 20, &b"abc"[..]),
                (&b"ANMF"[..], 32, &b"de"[..]),
                (&b"ALPH"[..], 42, &b"fg"[..]),
            ]
        );
        // A header cut short ends the walk.
        assert_eq!(chunks(&file[..30]).count(), 1);
    }
}
