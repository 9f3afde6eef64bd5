//! The little DER the key code needs, in one place for the client (which publishes its public
//! key as a `PUBLIC KEY` PEM) and the simulator (which reads keys pasted into identity
//! providers and verifies signatures with them): reading and writing one element, assembling a
//! SubjectPublicKeyInfo, and wrapping it in PEM armour.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// rsaEncryption (1.2.840.113549.1.1.1).
pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey (1.2.840.10045.2.1).
pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / P-256 (1.2.840.10045.3.1.7).
pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 / P-384 (1.3.132.0.34).
pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

/// One DER element of tag `tag`: (the whole element, its contents, the rest).
pub fn element(b: &[u8], tag: u8) -> Option<(&[u8], &[u8], &[u8])> {
    if *b.first()? != tag {
        return None;
    }
    let first = *b.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 3 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    if end > b.len() {
        return None;
    }
    Some((&b[..end], &b[hdr..end], &b[end..]))
}

/// A DER element: tag, definite length, contents.
pub fn encode(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = contents.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let len: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | len.len() as u8);
        out.extend(len);
    }
    out.extend_from_slice(contents);
    out
}

/// `SEQUENCE { SEQUENCE { algorithm }, BIT STRING key }`: a SubjectPublicKeyInfo from the
/// AlgorithmIdentifier's contents (OID, then parameters) and the key bytes.
pub fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0];
    bits.extend_from_slice(key);
    let mut spki = encode(0x30, algorithm);
    spki.extend(encode(0x03, &bits));
    encode(0x30, &spki)
}

/// A SubjectPublicKeyInfo DER as a `PUBLIC KEY` PEM, base64 in lines of 64 as OpenSSL writes it.
pub fn public_key_pem(spki: &[u8]) -> String {
    let b64 = STANDARD.encode(spki);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_and_element_round_trip_short_and_long_lengths() {
        for n in [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x1_0000] {
            let contents = vec![7u8; n];
            let mut bytes = encode(0x04, &contents);
            bytes.push(0xee);
            let (whole, inner, rest) = element(&bytes, 0x04).unwrap();
            assert_eq!(inner, contents.as_slice());
            assert_eq!(whole.len(), bytes.len() - 1);
            assert_eq!(rest, [0xee]);
        }
        assert!(
            element(&[0x30, 0x05, 0x00], 0x30).is_none(),
            "length past the end"
        );
        assert!(element(&[0x30, 0x00], 0x02).is_none(), "another tag");
        assert!(
            element(&[0x30, 0x84, 1, 0, 0, 0], 0x30).is_none(),
            "4-byte lengths"
        );
    }

    #[test]
    fn a_p256_spki_has_the_openssl_prefix() {
        // What `openssl ec -pubout -outform DER` writes before the 65-byte point.
        const PREFIX: [u8; 26] = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        let mut alg = encode(0x06, EC_PUBLIC_KEY);
        alg.extend(encode(0x06, P256));
        let point = [4u8; 65];
        let der = spki(&alg, &point);
        assert_eq!(der[..26], PREFIX);
        assert_eq!(der[26..], point);
    }

    #[test]
    fn pem_lines_are_64_wide() {
        let pem = public_key_pem(&[0u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END PUBLIC KEY-----"));
        assert!(pem.ends_with('\n'));
    }
}
