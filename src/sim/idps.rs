//! Identity providers (reference §6).

use super::errors::HResult;
use super::request::Req;
use super::state::State;

pub fn methods(_rest: &[&str]) -> Option<&'static [&'static str]> {
    None
}

pub fn handle(
    _req: &Req,
    _st: &mut State,
    _tenant_id: &str,
    _caller: &str,
    _rest: &[&str],
) -> HResult {
    unreachable!()
}
