//! StreamReader::readuntil with fuzz-chosen separators of 1 to 8 bytes
//! (self-overlapping ones too: the payload and the separators share a two-
//! or three-letter alphabet) under arbitrary chunking, mixed with `read` and
//! `readexactly`, checked against the leftmost match in a model of the
//! payload. The check lives in `corio_io::streams::model`, where `cargo
//! test` also runs it over a proptest corpus.
//!
//! `cargo +nightly fuzz run readuntil seeds/readuntil` (from this directory).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    corio_io::streams::model::check_readuntil(data);
});
