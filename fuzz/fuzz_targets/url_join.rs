//! Joins arbitrary paths, ids and hosts with the client's URL joiner and checks its property:
//! the origin never changes. Any panic (a failed check included) is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| qops::fuzzing::url_join(data));
