//! Parses arbitrary text as a SCIM filter of the simulator and, when it parses, evaluates it.
//! Any panic is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| qops::fuzzing::scim_filter(data));
