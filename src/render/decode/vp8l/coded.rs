//! The entropy-coded image of VP8L: literals, backward references (LZ77 with 2-D distance codes)
//! and colour-cache hits, coded with groups of five prefix codes chosen per block by an entropy
//! image. Decoded pixels are ARGB words (alpha highest), before any inverse transform.
//!
//! [`Coded::decode_to`] appends to a [`Window`] of the pixels decoded last: backward references
//! reach at most [`MAX_DISTANCE`] pixels back (or seven rows and eight pixels), so the window
//! needs no more, however large the picture.

use super::bits::Bits;
use super::huffman::{corrupt, Code, Tables};
use super::window::Window;
use crate::Result;

/// Length codes after the 256 green literals.
const LENGTH_CODES: u32 = 24;
/// Distance codes.
const DISTANCE_CODES: usize = 40;
/// The farthest a distance code reaches: the largest code value less the 120 short codes.
pub(super) const MAX_DISTANCE: usize = (1 << 20) - 120;

/// The 120 short distance codes: (columns left, rows up) of the pixel copied from.
#[rustfmt::skip]
const SHORT_DISTANCES: [(i8, i8); 120] = [
    (0, 1), (1, 0), (1, 1), (-1, 1), (0, 2), (2, 0), (1, 2), (-1, 2),
    (2, 1), (-2, 1), (2, 2), (-2, 2), (0, 3), (3, 0), (1, 3), (-1, 3),
    (3, 1), (-3, 1), (2, 3), (-2, 3), (3, 2), (-3, 2), (0, 4), (4, 0),
    (1, 4), (-1, 4), (4, 1), (-4, 1), (3, 3), (-3, 3), (2, 4), (-2, 4),
    (4, 2), (-4, 2), (0, 5), (3, 4), (-3, 4), (4, 3), (-4, 3), (5, 0),
    (1, 5), (-1, 5), (5, 1), (-5, 1), (2, 5), (-2, 5), (5, 2), (-5, 2),
    (4, 4), (-4, 4), (3, 5), (-3, 5), (5, 3), (-5, 3), (0, 6), (6, 0),
    (1, 6), (-1, 6), (6, 1), (-6, 1), (2, 6), (-2, 6), (6, 2), (-6, 2),
    (4, 5), (-4, 5), (5, 4), (-5, 4), (3, 6), (-3, 6), (6, 3), (-6, 3),
    (0, 7), (7, 0), (1, 7), (-1, 7), (5, 5), (-5, 5), (7, 1), (-7, 1),
    (4, 6), (-4, 6), (6, 4), (-6, 4), (2, 7), (-2, 7), (7, 2), (-7, 2),
    (3, 7), (-3, 7), (7, 3), (-7, 3), (5, 6), (-5, 6), (6, 5), (-6, 5),
    (8, 0), (4, 7), (-4, 7), (7, 4), (-7, 4), (8, 1), (8, 2), (6, 6),
    (-6, 6), (8, 3), (5, 7), (-5, 7), (7, 5), (-7, 5), (8, 4), (6, 7),
    (-6, 7), (7, 6), (-7, 6), (8, 5), (7, 7), (-7, 7), (8, 6), (8, 7),
];

/// The five codes that decode a pixel: green with lengths and cache indices, red, blue, alpha,
/// distance.
#[derive(Clone, Copy)]
struct Group {
    /// Whether a literal's four codes fit the bits one refill guarantees (56).
    literal_fits: bool,
    green: Code,
    red: Code,
    blue: Code,
    alpha: Code,
    distance: Code,
}

/// Which group codes each block of the picture.
struct Blocks {
    /// Block side, as a power of two.
    bits: u32,
    /// Blocks across.
    across: usize,
    /// Each block's group.
    groups: Vec<u32>,
}

/// The colour cache: recently seen colours, by a hash of their value.
struct ColourCache {
    shift: u32,
    colours: Vec<u32>,
}

impl ColourCache {
    #[inline(always)]
    fn insert(&mut self, argb: u32) {
        let slot = (argb.wrapping_mul(0x1e35_a7bd) >> self.shift) as usize;
        if let Some(entry) = self.colours.get_mut(slot) {
            *entry = argb;
        }
    }
}

/// An entropy-coded image being decoded.
pub(super) struct Coded<'a> {
    bits: Bits<'a>,
    tables: Tables,
    groups: Vec<Group>,
    blocks: Option<Blocks>,
    cache: Option<ColourCache>,
    width: usize,
    total: usize,
    /// Pixels decoded so far, and the position of the next one.
    decoded: usize,
    column: usize,
    row: usize,
}

impl<'a> Coded<'a> {
    /// Reads the header of an entropy-coded image of `width × height` pixels (colour cache,
    /// and for the main picture, `with_blocks`, the entropy image) and its prefix codes.
    pub(super) fn read(
        mut bits: Bits<'a>,
        width: usize,
        height: usize,
        with_blocks: bool,
    ) -> Result<Self> {
        let cache = if bits.read(1) == 1 {
            let cache_bits = bits.read(4);
            if !(1..=11).contains(&cache_bits) {
                return Err(corrupt("colour cache size out of range"));
            }
            Some(ColourCache {
                shift: 32 - cache_bits,
                colours: vec![0; 1 << cache_bits],
            })
        } else {
            None
        };
        let (blocks, bits) = if with_blocks && bits.read(1) == 1 {
            let block_bits = bits.read(3) + 2;
            let across = width.div_ceil(1 << block_bits);
            let down = height.div_ceil(1 << block_bits);
            let (image, bits) = sub_image(bits, across, down)?;
            let groups = image.iter().map(|&argb| (argb >> 8) & 0xffff).collect();
            (
                Some(Blocks {
                    bits: block_bits,
                    across,
                    groups,
                }),
                bits,
            )
        } else {
            (None, bits)
        };
        let count = blocks
            .as_ref()
            .and_then(|blocks| blocks.groups.iter().max())
            .map_or(1, |&max| max as usize + 1);
        let cache_size = cache.as_ref().map_or(0, |cache| cache.colours.len());
        let mut tables = Tables::new();
        let mut bits = bits;
        let mut groups = Vec::with_capacity(count);
        for _ in 0..count {
            let green = tables.read(&mut bits, 256 + LENGTH_CODES as usize + cache_size)?;
            let red = tables.read(&mut bits, 256)?;
            let blue = tables.read(&mut bits, 256)?;
            let alpha = tables.read(&mut bits, 256)?;
            groups.push(Group {
                literal_fits: green.longest + red.longest + blue.longest + alpha.longest <= 56,
                green,
                red,
                blue,
                alpha,
                distance: tables.read(&mut bits, DISTANCE_CODES)?,
            });
        }
        Ok(Coded {
            bits,
            tables,
            groups,
            blocks,
            cache,
            width,
            total: width * height,
            decoded: 0,
            column: 0,
            row: 0,
        })
    }

    /// The reader, after the pixels decoded so far.
    pub(super) fn into_bits(self) -> Bits<'a> {
        self.bits
    }

    /// Decodes pixels until `end` (or the picture's end) are decoded, appending them to
    /// `window` (which keeps at least [`MAX_DISTANCE`] pixels, or seven rows and eight pixels, or
    /// the whole image). A backward reference may decode past `end`.
    pub(super) fn decode_to(&mut self, window: &mut Window, end: usize) -> Result<()> {
        // The reader and the position live in locals while decoding, so that they stay in
        // registers; they go back at the end, error or not.
        let at = Position {
            decoded: self.decoded,
            column: self.column,
            row: self.row,
        };
        let (bits, at, decoded) = decode_pixels(
            self.bits,
            at,
            &Codes {
                tables: &self.tables,
                groups: &self.groups,
                blocks: self.blocks.as_ref(),
                width: self.width,
                total: self.total,
            },
            self.cache.as_mut(),
            window,
            end.min(self.total),
        );
        self.bits = bits;
        self.decoded = at.decoded;
        self.column = at.column;
        self.row = at.row;
        decoded?;
        if self.bits.overran() {
            return Err(corrupt("the bitstream ends inside the picture"));
        }
        Ok(())
    }
}

/// Where decoding stands: pixels decoded, and the next one's column and row.
struct Position {
    decoded: usize,
    column: usize,
    row: usize,
}

impl Position {
    /// Moves on by `count` pixels in a picture `width` wide.
    #[inline(always)]
    fn advance(&mut self, count: usize, width: usize) {
        self.decoded += count;
        self.column += count;
        if self.column >= width {
            self.row += self.column / width;
            self.column %= width;
        }
    }
}

/// The read-only side of decoding: the codes and which group codes each block.
struct Codes<'c> {
    tables: &'c Tables,
    groups: &'c [Group],
    blocks: Option<&'c Blocks>,
    width: usize,
    total: usize,
}

impl Codes<'_> {
    /// The group that codes the block at `at`.
    #[inline(always)]
    fn group(&self, at: &Position) -> Group {
        let index = match self.blocks {
            Some(blocks) => {
                let block = (at.row >> blocks.bits) * blocks.across + (at.column >> blocks.bits);
                blocks.groups.get(block).copied().unwrap_or(0) as usize
            }
            None => 0,
        };
        self.groups[index.min(self.groups.len() - 1)]
    }
}

/// The pixel loop of [`Coded::decode_to`]: returns the reader and the position after it (on
/// error too) and whether the pixels were valid.
#[inline(never)]
fn decode_pixels<'a>(
    reader: Bits<'a>,
    mut at: Position,
    codes: &Codes,
    mut cache: Option<&mut ColourCache>,
    window: &mut Window,
    end: usize,
) -> (Bits<'a>, Position, Result<()>) {
    let (tables, width) = (codes.tables, codes.width);
    // A fresh local, whose address never escapes: the optimiser keeps its fields in registers.
    let mut bits = reader;
    let block_mask = codes
        .blocks
        .map_or(usize::MAX, |blocks| (1 << blocks.bits) - 1);
    let mut group = codes.group(&at);
    while at.decoded < end {
        if at.column & block_mask == 0 {
            group = codes.group(&at);
        }
        bits.refill();
        let green = tables.decode(group.green, &mut bits);
        if green < 256 {
            let red = tables.decode(group.red, &mut bits);
            if !group.literal_fits {
                bits.refill();
            }
            let blue = tables.decode(group.blue, &mut bits);
            let alpha = tables.decode(group.alpha, &mut bits);
            let argb = alpha << 24 | red << 16 | green << 8 | blue;
            if let Some(cache) = cache.as_deref_mut() {
                cache.insert(argb);
            }
            window.push(argb);
            at.advance(1, width);
        } else if green < 256 + LENGTH_CODES {
            let length = prefix_value(green - 256, &mut bits);
            bits.refill();
            let code = tables.decode(group.distance, &mut bits);
            let distance = plane_distance(prefix_value(code, &mut bits), width);
            if distance > at.decoded.min(window.capacity()) || length > codes.total - at.decoded {
                let error = corrupt("a backward reference reaches outside the picture");
                return (bits, at, Err(error));
            }
            match cache.as_deref_mut() {
                Some(cache) => window.copy(distance, length, |argb| cache.insert(argb)),
                None => window.copy(distance, length, |_| {}),
            }
            at.advance(length, width);
            group = codes.group(&at);
        } else {
            let key = (green - 256 - LENGTH_CODES) as usize;
            let Some(&argb) = cache.as_deref().and_then(|cache| cache.colours.get(key)) else {
                let error = corrupt("a colour cache index without a cache");
                return (bits, at, Err(error));
            };
            window.push(argb);
            at.advance(1, width);
        }
    }
    (bits, at, Ok(()))
}

/// Decodes a whole sub-image (an entropy image, transform data, a palette) of `width × height`
/// pixels; returns it and the reader after it.
pub(super) fn sub_image(
    bits: Bits<'_>,
    width: usize,
    height: usize,
) -> Result<(Vec<u32>, Bits<'_>)> {
    let mut coded = Coded::read(bits, width, height, false)?;
    let mut window = Window::new(width * height);
    coded.decode_to(&mut window, width * height)?;
    Ok((window.into_pixels(), coded.into_bits()))
}

/// A length or distance from its prefix code and extra bits (the reader must hold 18 bits).
#[inline(always)]
fn prefix_value(code: u32, bits: &mut Bits) -> usize {
    if code < 4 {
        return code as usize + 1;
    }
    let extra = (code - 2) >> 1;
    let offset = (2 + (code & 1)) << extra;
    let value = (bits.peek() & ((1 << extra) - 1)) as u32;
    bits.consume(extra);
    (offset + value) as usize + 1
}

/// The distance in pixels of distance code value `code` in a picture `width` pixels wide.
#[inline(always)]
fn plane_distance(code: usize, width: usize) -> usize {
    if code > SHORT_DISTANCES.len() {
        return code - SHORT_DISTANCES.len();
    }
    let (left, up) = SHORT_DISTANCES[code - 1];
    let distance = i64::from(left) + i64::from(up) * width as i64;
    distance.max(1) as usize
}
