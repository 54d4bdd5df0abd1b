//! A streaming decode on two threads when the picture is large, so that a lone render puts a
//! second core to work. [`run_bands`]: one thread fills bands from the bitstream (inflating,
//! entropy decoding), the other takes each filled band on (inverse transforms, colour,
//! resampling); two bands in flight, handed back and forth. [`run_alternating`]: for units that
//! decode independently (TIFF strips), each thread decodes every other unit and this one takes
//! them on in order; three units in flight. Callers ask for the second thread only when a core
//! is idle ([`core_to_spare`]): under load, every core already decodes a picture of its own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::{Error, Result};

/// The streaming decodes running in this process ([`run_bands`] calls in progress).
static DECODING: AtomicUsize = AtomicUsize::new(0);

/// Counts a [`run_bands`] call in [`DECODING`] while it lives.
struct Decoding;

impl Decoding {
    fn start() -> Self {
        DECODING.fetch_add(1, Ordering::Relaxed);
        Decoding
    }
}

impl Drop for Decoding {
    fn drop(&mut self) {
        DECODING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether a decode about to start would find a core idle for its second thread: fewer
/// streaming decodes run than the machine has cores less one. Under load every core already
/// decodes a picture of its own, and a second thread per render would only add its handoffs.
pub(super) fn core_to_spare() -> bool {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    DECODING.load(Ordering::Relaxed) + 1 < cores
}

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
    let _decoding = Decoding::start();
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

/// Decodes units `0..count` with `decode` (which fills the buffer it is given) on two threads,
/// this one the even units and a scoped thread the odd ones, at most one ahead, and hands every
/// decoded unit to `take` in order.
pub(super) fn run_alternating<D, C>(count: u32, decode: D, mut take: C) -> Result<()>
where
    D: Fn(u32, &mut Vec<u8>) -> Result<()> + Sync,
    C: FnMut(&mut Vec<u8>) -> Result<()>,
{
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Result<Vec<u8>>>(1);
    let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
    for _ in 0..2 {
        // Cannot fail: the receiver is alive and the channel has room for both.
        let _ = empty_tx.send(Vec::new());
    }
    let decode = &decode;
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            // Ends after the last odd unit, at its own error, or when this side has stopped.
            for unit in (1..count).step_by(2) {
                let Ok(mut buffer) = empty_rx.recv() else {
                    break;
                };
                let decoded = decode(unit, &mut buffer).map(|()| buffer);
                let failed = decoded.is_err();
                if full_tx.send(decoded).is_err() || failed {
                    break;
                }
            }
        });
        let stopped = || Error::internal("decoding", "the second decoding thread stopped");
        let mut own = Vec::new();
        let mut in_order = || -> Result<()> {
            for unit in (0..count).step_by(2) {
                decode(unit, &mut own)?;
                take(&mut own)?;
                if unit + 1 < count {
                    let mut theirs = full_rx.recv().map_err(|_| stopped())??;
                    take(&mut theirs)?;
                    // The worker may have finished: then the buffer is not needed.
                    let _ = empty_tx.send(theirs);
                }
            }
            Ok(())
        };
        let taken = in_order();
        drop(empty_tx);
        drop(full_rx);
        match worker.join() {
            Ok(()) => taken,
            Err(_) => Err(Error::internal(
                "decoding",
                "the second decoding thread panicked",
            )),
        }
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
    fn alternating_units_arrive_in_order_and_errors_stop_both_threads() {
        for count in [0u32, 1, 2, 7] {
            let mut seen = Vec::new();
            run_alternating(
                count,
                |unit, buffer| {
                    buffer.clear();
                    buffer.push(unit as u8);
                    Ok(())
                },
                |buffer| {
                    seen.extend_from_slice(buffer);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..count as u8).collect::<Vec<_>>());
        }
        for broken in [0u32, 3, 6] {
            let decoding = run_alternating(
                7,
                |unit, _| {
                    if unit == broken {
                        Err(Error::decode("broken"))
                    } else {
                        Ok(())
                    }
                },
                |_| Ok(()),
            );
            assert!(decoding.is_err(), "unit {broken}");
            let mut taken = 0;
            let taking = run_alternating(
                7,
                |_, _| Ok(()),
                |_| {
                    taken += 1;
                    if taken == 4 {
                        Err(Error::decode("broken"))
                    } else {
                        Ok(())
                    }
                },
            );
            assert!(taking.is_err());
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
