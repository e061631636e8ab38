//! The StreamReader and readuntil fuzz targets' model checks over a proptest corpus, so
//! `cargo test` runs them even where cargo-fuzz cannot.
#![cfg(not(corio_loom))]

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn stream_reader_matches_the_model_under_any_chunking(input in proptest::collection::vec(any::<u8>(), 0..1200)) {
        corio_io::streams::model::check_stream_reader(&input);
    }

    #[test]
    fn readuntil_matches_the_model_for_any_separator(input in proptest::collection::vec(any::<u8>(), 0..1200)) {
        corio_io::streams::model::check_readuntil(&input);
    }
}

#[test]
fn stream_reader_model_smoke_cases() {
    for input in [&[][..], &[0; 64], &[255; 300], b"hello world; line\n more"] {
        corio_io::streams::model::check_stream_reader(input);
        corio_io::streams::model::check_readuntil(input);
    }
}
