//! The test corpus is what its SHA256SUMS says: a damaged or partial checkout (a file cut short,
//! a line-ending conversion, Git LFS pointers instead of images) fails here, loudly, instead of
//! turning into confusing failures elsewhere.

mod common;

use std::process::Command;

#[test]
fn every_corpus_file_matches_its_checksum() {
    let dir = common::corpus::corpus_dir();
    let output = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .expect("sha256sum (coreutils) runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "tests/corpus does not match SHA256SUMS:\n{}{}",
        report
            .lines()
            .filter(|line| !line.ends_with(": OK"))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    let checked = report.lines().filter(|line| line.ends_with(": OK")).count();
    let listed = std::fs::read_to_string(dir.join("SHA256SUMS"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(checked, listed);
    assert!(checked >= 60, "only {checked} corpus files checked");
}

#[test]
fn every_corpus_image_is_listed_in_the_manifest_and_the_checksums() {
    let dir = common::corpus::corpus_dir();
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    for folder in ["bad", "faces", "gif", "jpeg", "other", "png", "tiff"] {
        for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
            let name = format!("{folder}/{}", entry.unwrap().file_name().to_string_lossy());
            // The face set's box table is ours, not an image: checksummed, not in the manifest.
            if name == "faces/FACES.tsv" {
                assert!(
                    sums.lines()
                        .any(|line| line.ends_with(&format!("  {name}"))),
                    "{name} is not in SHA256SUMS"
                );
                continue;
            }
            assert!(
                manifest
                    .lines()
                    .any(|line| line.starts_with(&format!("{name}\t"))),
                "{name} is not in MANIFEST.tsv"
            );
            assert!(
                sums.lines()
                    .any(|line| line.ends_with(&format!("  {name}"))),
                "{name} is not in SHA256SUMS"
            );
        }
    }
}
