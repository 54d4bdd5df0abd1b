//! The test helpers the library's unit tests share with the integration tests, compiled in from
//! their one home in `tests/common/`.

#[path = "../tests/common/bench_photos.rs"]
pub mod bench_photos;
#[path = "../tests/common/corpus.rs"]
pub mod corpus;
#[path = "../tests/common/pixels.rs"]
pub mod pixels;
#[path = "../tests/common/random.rs"]
pub mod random;
#[path = "../tests/common/reference.rs"]
pub mod reference;
