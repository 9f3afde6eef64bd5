//! Entry points for the cargo-fuzz targets in `fuzz/`: each takes arbitrary input and must
//! never panic. Not an API; hidden from docs.
#![doc(hidden)]
