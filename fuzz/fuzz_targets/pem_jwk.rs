//! Reads arbitrary bytes as a private key file (PEM or DER), and as the public-key PEMs, JWKs
//! and signed JWTs clients send the simulator. Any panic is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| qops::fuzzing::pem_jwk(data));
