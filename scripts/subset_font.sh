#!/bin/sh
# Regenerates the caption font, src/render/font/NotoSans-Caption.ttf: Noto Sans Regular cut down
# to the characters the "no photo" captions use (src/render/caption.rs), so the repository and
# the binary carry a few kB instead of half a megabyte.
#
# Needs fontTools (`pip install fonttools`) and Noto Sans Regular (Debian: `apt-get install
# fonts-noto-core`), or pass the path of another copy of NotoSans-Regular.ttf as the argument.
# After adding a caption, add its characters to CAPTIONS below and run this again; the test
# `every_caption_character_has_a_glyph` fails until then.
set -eu

SOURCE=${1:-/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf}
OUT=$(dirname "$0")/../src/render/font/NotoSans-Caption.ttf

# Every caption, once; the subset keeps exactly these characters (and the space).
CAPTIONS="No photo|Kein Foto|Ingen bilde|Ingen bild|Intet foto|Geen foto|Pas de photo|Sin foto"

# --no-hinting: the rasteriser (ab_glyph) ignores TrueType instructions.
# --drop-tables: GSUB/GPOS/GDEF (ligatures, mark positioning, kerning) are not read by ab_glyph,
#   and the captions need no shaping; DSIG is a signature the subset would invalidate anyway.
# --name-IDs='*': keep every name record, including the copyright and the licence (OFL 1.1).
pyftsubset "$SOURCE" \
    --text="$(printf '%s' "$CAPTIONS" | tr '|' ' ')" \
    --no-hinting \
    --drop-tables+=GSUB,GPOS,GDEF,DSIG \
    --name-IDs='*' \
    --name-languages='*' \
    --output-file="$OUT"
echo "wrote $OUT ($(wc -c <"$OUT") bytes)"
