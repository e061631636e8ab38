//! StreamReader readline / readuntil / readexactly / read under arbitrary
//! chunking, checked against a model of the whole payload. The check lives
//! in `corio_io::streams::model`, where `cargo test` also runs it over a
//! proptest corpus.
//!
//! `cargo +nightly fuzz run stream_reader seeds/stream_reader` (from this directory).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    corio_io::streams::model::check_stream_reader(data);
});
