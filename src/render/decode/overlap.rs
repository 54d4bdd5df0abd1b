//! The two halves of a streaming decode, on two threads when the picture is large: one fills
//! bands from the bitstream (inflating, entropy decoding), the other takes each filled band on
//! (inverse transforms, colour, resampling). Two bands are in flight, handed back and forth, so
//! a lone render puts a second core to work and memory stays at two bands.

use crate::{Error, Result};

/// Runs `fill` and `take` over bands of `band_len` elements until `fill` returns 0: `fill` fills
/// a band and returns how much it filled (in its own units), `take` gets the band and that
/// count. With `overlap`, `fill` runs on a scoped thread of its own, one band ahead.
pub(super) fn run_bands<T, F, C>(
    band_len: usize,
    overlap: bool,
    mut fill: F,
    mut take: C,
) -> Result<()>
where
    T: Clone + Default + Send,
    F: FnMut(&mut [T]) -> Result<usize> + Send,
    C: FnMut(&mut [T], usize) -> Result<()>,
{
    if !overlap {
        let mut band = vec![T::default(); band_len];
        loop {
            let filled = fill(&mut band)?;
            if filled == 0 {
                return Ok(());
            }
            take(&mut band, filled)?;
        }
    }
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(Vec<T>, usize)>(1);
    let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<T>>(2);
    for _ in 0..2 {
        // Cannot fail: the receiver is alive and the channel has room for both.
        let _ = empty_tx.send(vec![T::default(); band_len]);
    }
    std::thread::scope(|scope| {
        let filler = scope.spawn(move || -> Result<()> {
            // Ends when the bitstream ends, or when the taking side has stopped (it dropped its
            // channels after an error, which it reports).
            while let Ok(mut band) = empty_rx.recv() {
                let filled = fill(&mut band)?;
                if filled == 0 || full_tx.send((band, filled)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut taken = Ok(());
        for (mut band, filled) in full_rx.iter() {
            taken = take(&mut band, filled);
            if taken.is_err() || empty_tx.send(band).is_err() {
                break;
            }
        }
        drop(empty_tx);
        drop(full_rx);
        let filled = filler
            .join()
            .unwrap_or_else(|_| Err(Error::internal("decoding", "the band filler panicked")));
        filled.and(taken)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_band_arrives_in_order_with_or_without_a_thread() {
        for overlap in [false, true] {
            let mut next = 0u32;
            let mut seen = Vec::new();
            run_bands(
                3,
                overlap,
                |band: &mut [u32]| {
                    let filled = (10 - next).min(band.len() as u32) as usize;
                    for slot in &mut band[..filled] {
                        *slot = next;
                        next += 1;
                    }
                    Ok(filled)
                },
                |band, filled| {
                    seen.extend_from_slice(&band[..filled]);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..10).collect::<Vec<_>>(), "overlap {overlap}");
        }
    }

    #[test]
    fn an_error_on_either_side_stops_both() {
        for overlap in [false, true] {
            let filling = run_bands(
                2,
                overlap,
                |_: &mut [u8]| Err(Error::decode("broken")),
                |_, _| Ok(()),
            );
            assert!(filling.is_err());
            let mut fills = 0;
            let taking = run_bands(
                2,
                overlap,
                |_: &mut [u8]| {
                    fills += 1;
                    Ok(if fills < 1000 { 2 } else { 0 })
                },
                |_, _| Err(Error::decode("broken")),
            );
            assert!(taking.is_err());
        }
    }
}
