//! Deterministic identifiers and secrets, drawn from one seeded generator.

use base64::Engine as _;

pub struct Ids {
    rng: fastrand::Rng,
}

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Ids {
    pub fn new(seed: u64) -> Self {
        Ids {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.rng.usize(..alphabet.len())] as char)
            .collect()
    }

    pub fn hex(&mut self, n: usize) -> String {
        self.pick(b"0123456789abcdef", n)
    }

    /// User, role, group ids: 24 hex (ObjectId-like).
    pub fn object_id(&mut self) -> String {
        self.hex(24)
    }

    /// Trace ids and OAuth client ids: 32 hex.
    pub fn hex32(&mut self) -> String {
        self.hex(32)
    }

    /// Tenant ids: 32 URL-safe characters.
    pub fn tenant_id(&mut self) -> String {
        self.pick(URL_SAFE, 32)
    }

    /// Generated tenant names: 15 lowercase alphanumerics.
    pub fn tenant_name(&mut self) -> String {
        self.pick(LOWER_ALNUM, 15)
    }

    /// A long random secret (client secrets).
    pub fn secret(&mut self) -> String {
        let bytes = self.bytes(48);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.u8(..)).collect()
    }

    /// A digit string of length `n` (license numbers).
    pub fn digits(&mut self, n: usize) -> String {
        self.pick(b"0123456789", n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let (mut a, mut b) = (Ids::new(7), Ids::new(7));
        assert_eq!(a.tenant_id(), b.tenant_id());
        let id = a.tenant_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|c| URL_SAFE.contains(&c)));
        let name = a.tenant_name();
        assert_eq!(name.len(), 15);
        assert!(name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_eq!(a.object_id().len(), 24);
        assert!(a.secret().len() >= 60);
    }
}
