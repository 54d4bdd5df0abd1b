//! Face detection (feature `faces`) on the labelled set in `tests/corpus/faces/` (FACES.tsv:
//! 47 photos with 48 hand-checked faces, 10 without), and on tiny and odd inputs. The floors
//! below are the figures measured with the default `FaceSearch` (README, "Faces") less a margin;
//! `examples/facebench.rs` prints the same figures with the time per photo.
#![cfg(feature = "faces")]

mod common;

use bytes::Bytes;
use common::face_labels::{labelled_set, Labelled, Rect, Score};
use image::{Rgb, RgbImage};
use person_image::auth::StaticAuthenticator;
use person_image::render::{find_faces, Face, FaceSearch};
use person_image::request::Method;
use person_image::store::InMemory;
use person_image::{ImageService, PersonId, PersonImageServiceExt};

/// Measured 1.000 (44 of 44 detections match a labelled face).
const PRECISION_FLOOR: f64 = 0.95;
/// Measured 0.917 (44 of 48 labelled faces found).
const RECALL_FLOOR: f64 = 0.87;
/// Measured 0 of 10 photos without faces.
const FALSE_ALARM_PHOTOS_CEILING: usize = 1;
/// Measured 44 of 47 (93.6 %): the largest labelled face inside the square cover crop centred
/// on the largest detection (a photo where nothing is found counts as a miss).
const CROP_RATE_FLOOR: f64 = 0.91;

fn rect(face: &Face) -> Rect {
    Rect {
        left: f64::from(face.left),
        top: f64::from(face.top),
        width: f64::from(face.width),
        height: f64::from(face.height),
    }
}

fn open(photo: &Labelled) -> RgbImage {
    image::open(&photo.path)
        .unwrap_or_else(|error| panic!("{}: {error}", photo.path.display()))
        .to_rgb8()
}

/// Every face lies inside the picture, has a finite score, and they come largest first.
fn assert_well_formed(name: &str, picture: &RgbImage, faces: &[Face]) {
    for face in faces {
        assert!(
            face.width > 0 && face.height > 0,
            "{name}: empty box {face:?}"
        );
        assert!(
            face.left + face.width <= picture.width() && face.top + face.height <= picture.height(),
            "{name}: {face:?} outside the {}x{} picture",
            picture.width(),
            picture.height()
        );
        assert!(face.score.is_finite(), "{name}: score {face:?}");
    }
    for pair in faces.windows(2) {
        assert!(
            pair[0].area() >= pair[1].area(),
            "{name}: not largest first: {faces:?}"
        );
    }
}

fn score_the_set(search: &FaceSearch) -> Score {
    let set = labelled_set();
    let mut score = Score::default();
    for photo in &set {
        let picture = open(photo);
        let faces = search.find(&picture);
        assert_well_formed(&photo.name, &picture, &faces);
        let found: Vec<Rect> = faces.iter().map(rect).collect();
        score.add(picture.dimensions(), &photo.faces, &found);
    }
    score
}

#[test]
fn the_labelled_set_is_the_one_measured() {
    let set = labelled_set();
    let with_faces = set.iter().filter(|photo| !photo.faces.is_empty()).count();
    let faces: usize = set.iter().map(|photo| photo.faces.len()).sum();
    assert_eq!((with_faces, set.len() - with_faces, faces), (47, 10, 48));
}

#[test]
fn precision_recall_and_cover_crops_hold_on_the_labelled_set() {
    assert_floors(&score_the_set(&FaceSearch::default()));
}

/// The coarse-first search (README, "Faces": measured the same as the default on this set) holds
/// the default's floors.
#[test]
fn a_coarse_first_search_holds_the_same_floors() {
    let search = FaceSearch {
        coarse_long_side: Some(200),
        ..FaceSearch::default()
    };
    assert_floors(&score_the_set(&search));
}

/// A coarse pass no smaller than the input size is skipped: the faces are the default's.
#[test]
fn a_coarse_side_not_below_the_input_side_changes_nothing() {
    for photo in labelled_set().iter().take(6) {
        let picture = open(photo);
        let default = find_faces(&picture);
        for coarse in [320, 400, 5000] {
            let search = FaceSearch {
                coarse_long_side: Some(coarse),
                ..FaceSearch::default()
            };
            assert_eq!(
                search.find(&picture),
                default,
                "{} coarse {coarse}",
                photo.name
            );
        }
    }
}

/// Prints `score` and checks it against the floors above.
fn assert_floors(score: &Score) {
    eprintln!(
        "faces: {} labelled, {} detected, {} matched at IoU >= 0.5: precision {:.3}, recall {:.3}; \
         false alarms on {} of {} photos without faces; largest face inside the 1:1 cover crop \
         for {} of {} photos ({:.1} %)",
        score.true_faces,
        score.detections,
        score.matched,
        score.precision(),
        score.recall(),
        score.false_alarm_photos,
        score.photos_without_faces,
        score.largest_face_in_crop,
        score.photos_with_faces,
        100.0 * score.crop_rate()
    );
    assert_eq!(score.true_faces, 48);
    assert!(
        score.precision() >= PRECISION_FLOOR,
        "precision {:.3} < {PRECISION_FLOOR}",
        score.precision()
    );
    assert!(
        score.recall() >= RECALL_FLOOR,
        "recall {:.3} < {RECALL_FLOOR}",
        score.recall()
    );
    assert_eq!(score.photos_without_faces, 10);
    assert!(
        score.false_alarm_photos <= FALSE_ALARM_PHOTOS_CEILING,
        "a face reported on {} photos without faces",
        score.false_alarm_photos
    );
    assert!(
        score.crop_rate() >= CROP_RATE_FLOOR,
        "largest face inside the cover crop for only {:.1} %",
        100.0 * score.crop_rate()
    );
}

#[test]
fn a_large_picture_is_reduced_first_and_gives_the_same_face() {
    let photo = labelled_set()
        .into_iter()
        .find(|photo| photo.name == "skimage_astronaut.jpg")
        .expect("skimage_astronaut.jpg is labelled");
    let picture = open(&photo);
    let (width, height) = picture.dimensions();
    let large = image::imageops::resize(
        &picture,
        width * 5,
        height * 5,
        image::imageops::FilterType::Triangle,
    );
    let faces = find_faces(&large);
    assert_well_formed("astronaut x5", &large, &faces);
    let truth = photo.faces[0];
    let scaled = Rect {
        left: truth.left * 5.0,
        top: truth.top * 5.0,
        width: truth.width * 5.0,
        height: truth.height * 5.0,
    };
    // The labelled face is among the detections; which box comes first is not asserted: at the
    // default score floor a low-scoring box on the blurred, enlarged helmet can outsize it.
    assert!(
        faces.iter().any(|face| rect(face).iou(&scaled) >= 0.5),
        "the face at {scaled:?} is not among {faces:?}"
    );
}

#[test]
fn detection_is_deterministic_and_per_thread() {
    let set = labelled_set();
    let photo = set
        .iter()
        .find(|photo| photo.name == "pexels_women_on_phones.jpg")
        .expect("pexels_women_on_phones.jpg is labelled");
    let picture = open(photo);
    let here = find_faces(&picture);
    assert!(!here.is_empty());
    assert_eq!(find_faces(&picture), here);
    let threads: Vec<Vec<Face>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| find_faces(&picture)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for faces in threads {
        assert_eq!(faces, here);
    }
}

#[test]
fn tiny_odd_and_featureless_inputs_find_nothing_and_never_panic() {
    let mut noise_state = 0x2545_f491_u32;
    let mut noise = || {
        noise_state ^= noise_state << 13;
        noise_state ^= noise_state >> 17;
        noise_state ^= noise_state << 5;
        noise_state as u8
    };
    let noisy = RgbImage::from_fn(300, 200, |_, _| Rgb([noise(), noise(), noise()]));
    let checker = RgbImage::from_fn(256, 256, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    });
    let cases: Vec<(&str, RgbImage)> = vec![
        ("0x0", RgbImage::new(0, 0)),
        ("1x1", RgbImage::new(1, 1)),
        ("39x39", RgbImage::from_pixel(39, 39, Rgb([128, 128, 128]))),
        ("40x40", RgbImage::from_pixel(40, 40, Rgb([128, 128, 128]))),
        ("41x41", RgbImage::from_pixel(41, 41, Rgb([200, 150, 120]))),
        ("1x5000", RgbImage::new(1, 5000)),
        ("5000x1", RgbImage::new(5000, 1)),
        (
            "60x4000",
            RgbImage::from_pixel(60, 4000, Rgb([255, 255, 255])),
        ),
        (
            "4000x60",
            RgbImage::from_pixel(4000, 60, Rgb([255, 255, 255])),
        ),
        (
            "grey 2000x1500",
            RgbImage::from_pixel(2000, 1500, Rgb([90, 90, 90])),
        ),
        ("noise 300x200", noisy),
        ("checkerboard 256x256", checker),
    ];
    for (name, picture) in &cases {
        let faces = find_faces(picture);
        assert_well_formed(name, picture, &faces);
        assert!(
            faces.is_empty(),
            "{name}: a face in a featureless picture: {faces:?}"
        );
    }
}

#[test]
fn every_labelled_photo_cut_to_odd_shapes_is_searched_without_panic() {
    for photo in labelled_set() {
        let picture = open(&photo);
        let (width, height) = picture.dimensions();
        for (w, h) in [
            (width, 41),
            (41, height),
            (width / 3 + 1, height),
            (width, 1),
        ] {
            let cut =
                image::imageops::crop_imm(&picture, 0, 0, w.min(width), h.min(height)).to_image();
            let faces = find_faces(&cut);
            assert_well_formed(&photo.name, &cut, &faces);
        }
    }
}

/// Through the image service (built with `faces`): every labelled photo stored, its `ImageInfo`
/// names the largest detected face as the focal point a `fit=cover` crop keeps. The face is
/// looked for once per photo version, in the thumbnail the service decodes.
#[test]
fn the_service_takes_the_largest_face_as_each_photos_focal_point() {
    let set = labelled_set();
    let store = InMemory::new();
    for (index, photo) in set.iter().enumerate() {
        let bytes = std::fs::read(&photo.path).expect("labelled photo");
        store.insert(PersonId(index as i32 + 1), bytes);
    }
    let service =
        ImageService::builder(store, StaticAuthenticator::new().bearer("t", "reader")).build();
    let (mut with_faces, mut on_the_face, mut no_face_photos, mut false_faces) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    for (index, photo) in set.iter().enumerate() {
        let response = service.handle(
            Method::Get,
            &format!("/api/v1/Person/{}/ImageInfo", index + 1),
            [("Authorization", b"Bearer t".as_slice())],
            Bytes::new(),
            service.limits(),
        );
        assert_eq!(response.status, 200, "{}", photo.name);
        let info: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
        let found_face = info["FocalPointSource"] == "Face";
        let faces_found = info["FacesFound"].as_u64().expect("FacesFound");
        assert_eq!(found_face, faces_found > 0, "{}: {info}", photo.name);
        let point = &info["FocalPoint"];
        let side = |name: &str| point[name].as_f64().expect("a FocalPoint side");
        let focal = Rect {
            left: side("Left"),
            top: side("Top"),
            width: side("Width"),
            height: side("Height"),
        };
        match photo
            .faces
            .iter()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
        {
            Some(largest) => {
                with_faces += 1;
                if found_face && largest.iou(&focal) >= 0.5 {
                    on_the_face += 1;
                } else {
                    missed.push(photo.name.clone());
                }
            }
            None => {
                no_face_photos += 1;
                false_faces += usize::from(found_face);
            }
        }
    }
    eprintln!(
        "focal point on the largest face: {on_the_face} of {with_faces}; a face reported on \
         {false_faces} of {no_face_photos} photos without; missed: {missed:?}"
    );
    assert!(
        on_the_face * 100 >= with_faces * 87,
        "the focal point is the largest face on {on_the_face} of {with_faces} photos; missed: {missed:?}"
    );
    assert!(
        false_faces <= 1,
        "{false_faces} photos without faces got a face"
    );
}

/// Through the image service (built with `faces`): `fit=cover` crops of three shapes (square,
/// 2:1 banner, 1:2 column) keep the largest face of the labelled photos with faces (floors
/// below): the face's box inside the crop, or, where the face is larger than the crop along a side,
/// at least 90 % of the crop along that side on the face. Each crop is asked at the largest size of its shape inside the
/// photo, so it is the
/// photo's own pixels, and where it lies is found by matching them. Most labelled photos are
/// square, where the square crop is the whole photo: the banner and the column are what place
/// the crop.
#[test]
fn cover_crops_keep_the_largest_face() {
    let set = labelled_set();
    let store = InMemory::new();
    for (index, photo) in set.iter().enumerate() {
        store.insert(
            PersonId(index as i32 + 1),
            std::fs::read(&photo.path).expect("photo"),
        );
    }
    let service =
        ImageService::builder(store, StaticAuthenticator::new().bearer("t", "reader")).build();
    // The target is the square crop (95 %); the others hold what was measured, less a
    // margin: 2:1 banner 37 of 47 (four of the ten misses are faces the detector does not find,
    // the others a detected box tighter than the labelled one, framed with a chin cut off), 1:2
    // column 44 of 47.
    for (shape, across, down, floor) in [
        ("square", 1, 1, 95),
        ("2:1 banner", 2, 1, 75),
        ("1:2 column", 1, 2, 90),
    ] {
        let (mut with_faces, mut kept, mut placed) = (0, 0, 0);
        let mut cut = Vec::new();
        for (index, photo) in set.iter().enumerate() {
            let Some(largest) = photo
                .faces
                .iter()
                .max_by(|a, b| a.area().total_cmp(&b.area()))
            else {
                continue;
            };
            with_faces += 1;
            let source = open(photo);
            let (width, height) = source.dimensions();
            let (crop_width, crop_height) = if width * down >= height * across {
                (height * across / down, height)
            } else {
                (width, width * down / across)
            };
            let response = service.handle(
                Method::Get,
                &format!(
                    "/api/v1/Person/{}/Image?w={crop_width}&h={crop_height}&fit=cover&type=png",
                    index + 1
                ),
                [("Authorization", b"Bearer t".as_slice())],
                Bytes::new(),
                service.limits(),
            );
            assert_eq!(response.status, 200, "{}", photo.name);
            let crop = image::load_from_memory(&response.body)
                .expect("PNG")
                .to_rgb8();
            assert_eq!(
                crop.dimensions(),
                (crop_width, crop_height),
                "{}",
                photo.name
            );
            placed += usize::from((crop_width, crop_height) != (width, height));
            let (left, top) = crop_origin(&source, &crop);
            let kept_on = |start: f64, end: f64, from: u32, size: u32| {
                let (from, to) = (f64::from(from), f64::from(from + size));
                if end - start <= f64::from(size) {
                    start >= from - 1.0 && end <= to + 1.0
                } else {
                    // A face larger than the crop: the crop is (nearly) all face.
                    to.min(end) - from.max(start) >= 0.9 * f64::from(size)
                }
            };
            if kept_on(largest.left, largest.right(), left, crop_width)
                && kept_on(largest.top, largest.bottom(), top, crop_height)
            {
                kept += 1;
            } else {
                cut.push(photo.name.clone());
            }
        }
        eprintln!(
            "{shape} cover crops keep the largest face: {kept} of {with_faces} ({placed} crops \
             smaller than the photo); cut: {cut:?}"
        );
        assert!(
            kept * 100 >= with_faces * floor,
            "{shape}: {kept} of {with_faces} cover crops keep the largest face; cut: {cut:?}"
        );
    }
}

/// Where `crop` (a same-scale cut of `source` spanning its whole width or height) lies in it:
/// the offset with the smallest mean difference over a grid of every fourth pixel.
fn crop_origin(source: &RgbImage, crop: &RgbImage) -> (u32, u32) {
    let (width, height) = source.dimensions();
    let (crop_width, crop_height) = crop.dimensions();
    let offsets: Vec<(u32, u32)> = if crop_height == height {
        (0..=width - crop_width).map(|left| (left, 0)).collect()
    } else {
        (0..=height - crop_height).map(|top| (0, top)).collect()
    };
    let difference = |(left, top): (u32, u32)| -> u64 {
        let mut sum = 0u64;
        for y in (0..crop_height).step_by(4) {
            for x in (0..crop_width).step_by(4) {
                let a = source.get_pixel(left + x, top + y);
                let b = crop.get_pixel(x, y);
                sum += (0..3).map(|c| u64::from(a[c].abs_diff(b[c]))).sum::<u64>();
            }
        }
        sum
    };
    offsets
        .into_iter()
        .min_by_key(|&offset| difference(offset))
        .expect("at least one offset")
}
