//! Parses arbitrary text as a QRS filter of the simulator and, when it parses, evaluates it
//! against an app. Any panic is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| qops::fuzzing::qrs_filter(data));
