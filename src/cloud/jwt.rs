//! Private Key JWT client authentication (RFC 7523): a key read from a PEM file signs a short
//! assertion (RS256 or ES384) instead of sending a client secret.

use crate::der;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde_json::{json, Value};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

enum Key {
    Rsa(RsaKeyPair),
    Ec384(EcdsaKeyPair),
}

/// A private key that signs client assertions. Never printed.
pub struct SigningKey {
    key: Key,
    pub kid: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey({}, kid {}, <redacted>)",
            self.alg(),
            self.kid
        )
    }
}

impl SigningKey {
    /// Reads an RSA (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`, at least 2048 bits) or
    /// EC P-384 (PKCS#8) key from a key file's bytes: PEM text, or the raw DER of such a key.
    /// `kid` defaults to the key's JWK thumbprint (RFC 7638). Errors say what is wrong with the
    /// file and never quote it.
    pub fn from_bytes(file: &[u8], kid: Option<String>) -> Result<SigningKey, String> {
        let key = match pem_block(file)? {
            Some((label, der)) => key_of_block(&label, &der)?,
            None => key_of_der(file)?,
        };
        if let Key::Rsa(k) = &key {
            if k.public().modulus_len() < 256 {
                return Err("RSA keys must have at least 2048 bits".into());
            }
        }
        let mut signing = SigningKey {
            key,
            kid: String::new(),
        };
        signing.kid = match kid {
            Some(k) if !k.is_empty() => k,
            _ => signing.thumbprint(),
        };
        Ok(signing)
    }

    pub fn alg(&self) -> &'static str {
        match self.key {
            Key::Rsa(_) => "RS256",
            Key::Ec384(_) => "ES384",
        }
    }

    /// The public half as a JWK, as `publicKeys` of an OAuth client expects it.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.jwk_members();
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg());
        jwk["use"] = json!("sig");
        jwk
    }

    /// The public half as a `PUBLIC KEY` PEM (SubjectPublicKeyInfo), as a `jwtAuth` identity
    /// provider's `staticKeys[].pem` expects it.
    pub fn public_pem(&self) -> String {
        // AlgorithmIdentifier contents, then the BIT STRING's key bytes.
        let (alg, key): (Vec<u8>, &[u8]) = match &self.key {
            Key::Rsa(k) => {
                let mut alg = der::encode(0x06, der::RSA_ENCRYPTION);
                alg.extend([0x05, 0x00]);
                (alg, k.public().as_ref())
            }
            Key::Ec384(k) => {
                let mut alg = der::encode(0x06, der::EC_PUBLIC_KEY);
                alg.extend(der::encode(0x06, der::P384));
                (alg, k.public_key().as_ref())
            }
        };
        der::public_key_pem(&der::spki(&alg, key))
    }

    /// The required members only, in RFC 7638 order.
    fn jwk_members(&self) -> Value {
        match &self.key {
            Key::Rsa(k) => {
                let c = signature::RsaPublicKeyComponents::<Vec<u8>>::from(k.public());
                json!({"e": URL_SAFE_NO_PAD.encode(&c.e), "kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&c.n)})
            }
            Key::Ec384(k) => {
                // An uncompressed point: 0x04, then x and y of equal length.
                let coords = k.public_key().as_ref().get(1..).unwrap_or_default();
                let (x, y) = coords.split_at(coords.len() / 2);
                json!({"crv": "P-384", "kty": "EC", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)})
            }
        }
    }

    fn thumbprint(&self) -> String {
        let canonical = self.jwk_members().to_string();
        URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            canonical.as_bytes(),
        ))
    }

    /// A client assertion for `client_id` at the token endpoint `audience`, valid five minutes.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let header = json!({"alg": self.alg(), "kid": self.kid, "typ": "JWT"});
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": audience,
            "jti": uuid_v4(), "iat": now, "exp": now + 300,
        });
        self.sign(&header, &claims)
    }

    /// `base64url(header).base64url(claims).base64url(signature)`.
    pub fn sign(&self, header: &Value, claims: &Value) -> Result<String, String> {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let sig = match &self.key {
            Key::Rsa(k) => {
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .map_err(|_| "RSA signing failed")?;
                sig
            }
            Key::Ec384(k) => k
                .sign(&rng, input.as_bytes())
                .map_err(|_| "ECDSA signing failed")?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

/// A key of a PEM block.
fn key_of_block(label: &str, der: &[u8]) -> Result<Key, String> {
    match label {
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(der)
            .map(Key::Rsa)
            .map_err(|e| format!("not a usable RSA key ({e})")),
        "PRIVATE KEY" => key_of_pkcs8(der),
        "EC PRIVATE KEY" => Err(
            "EC keys must be PKCS#8: convert with `openssl pkcs8 -topk8 -nocrypt -in key.pem`"
                .into(),
        ),
        "ENCRYPTED PRIVATE KEY" => {
            Err("encrypted keys are not supported; decrypt the key first".into())
        }
        other => Err(format!(
            "expected a private key PEM, found {}",
            label_name(other)
        )),
    }
}

/// An RSA or EC P-384 key of a PKCS#8 document.
fn key_of_pkcs8(der: &[u8]) -> Result<Key, String> {
    if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
        return Ok(Key::Rsa(k));
    }
    EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        der,
        &SystemRandom::new(),
    )
    .map(Key::Ec384)
    .map_err(|_| "the key is neither RSA nor EC P-384 (PKCS#8)".to_string())
}

/// A key file without a PEM block: the DER of a PKCS#8 or PKCS#1 RSA key.
fn key_of_der(der: &[u8]) -> Result<Key, String> {
    if der.first() != Some(&0x30) {
        return Err("neither a PEM file (-----BEGIN ...-----) nor a DER private key".into());
    }
    key_of_pkcs8(der)
        .or_else(|_| RsaKeyPair::from_der(der).map(Key::Rsa))
        .map_err(|_| {
            "a DER file, but not an RSA or EC P-384 private key (PKCS#8, or PKCS#1 for RSA)"
                .to_string()
        })
}

/// A PEM label as errors may show it: the usual upper-case words, never arbitrary file text.
fn label_name(label: &str) -> String {
    let plain = (1..=40).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ');
    if plain {
        format!("a {label} block")
    } else {
        "a block with an unrecognised label".into()
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The label and DER bytes of the first PEM block, or `None` when the file has no
/// `-----BEGIN ` line at all.
fn pem_block(file: &[u8]) -> Result<Option<(String, Vec<u8>)>, String> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const DASHES: &[u8] = b"-----";
    let Some(start) = find(file, BEGIN) else {
        return Ok(None);
    };
    let rest = file.get(start + BEGIN.len()..).unwrap_or_default();
    let label_end = find(rest, DASHES)
        .filter(|&n| n <= 64)
        .ok_or("malformed PEM header: no closing ----- after a short label")?;
    let (label, after) = rest.split_at(label_end);
    let body_and_end = after.get(DASHES.len()..).unwrap_or_default();
    let end_marker = [b"-----END ".as_slice(), label, DASHES].concat();
    let body_end = find(body_and_end, &end_marker)
        .ok_or("the PEM block has no matching -----END line (a truncated file?)")?;
    let body = body_and_end.get(..body_end).unwrap_or_default();
    if body.contains(&b':') {
        return Err(
            "PEM headers (legacy encryption) are not supported; decrypt the key first".into(),
        );
    }
    let b64: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let der = STANDARD
        .decode(b64)
        .map_err(|_| "the PEM body is not valid base64".to_string())?;
    Ok(Some((String::from_utf8_lossy(label).into_owned(), der)))
}

/// A random UUID (version 4) for `jti`.
pub(crate) fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut b).unwrap_or_default();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec_pem() -> String {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .unwrap();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(pkcs8.as_ref())
        )
    }

    #[test]
    fn es384_assertions_verify_with_the_published_jwk() {
        let key = SigningKey::from_bytes(ec_pem().as_bytes(), None).unwrap();
        assert_eq!(key.alg(), "ES384");
        let jwk = key.public_jwk();
        assert_eq!(
            (
                jwk["kty"].as_str(),
                jwk["crv"].as_str(),
                jwk["kid"].as_str()
            ),
            (Some("EC"), Some("P-384"), Some(key.kid.as_str()))
        );
        let jws = key
            .assertion("client-1", "https://acme.eu.qlikcloud.com/oauth/token")
            .unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["aud"], "https://acme.eu.qlikcloud.com/oauth/token");
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
        let public = signature::UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point);
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .unwrap();
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn rsa_keys_sign_rs256_that_the_jwk_verifies() {
        let pem = include_str!("../../tests/fixtures/rsa-test-key.pem");
        let key = SigningKey::from_bytes(pem.as_bytes(), Some("k1".into())).unwrap();
        assert_eq!((key.alg(), key.kid.as_str()), ("RS256", "k1"));
        let jwk = key.public_jwk();
        let jws = key.assertion("c", "https://t/oauth/token").unwrap();
        let parts: Vec<&str> = jws.rsplitn(2, '.').collect();
        let public = signature::RsaPublicKeyComponents {
            n: URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap(),
            e: URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap(),
        };
        public
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                parts[1].as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[0]).unwrap(),
            )
            .unwrap();
    }

    #[test]
    fn public_pems_verify_what_the_key_signs() {
        let rsa = include_str!("../../tests/fixtures/rsa-test-key.pem");
        for (file, kid) in [(rsa.to_string(), "r"), (ec_pem(), "e")] {
            let key = SigningKey::from_bytes(file.as_bytes(), Some(kid.into())).unwrap();
            let pem = key.public_pem();
            assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            let header = json!({"alg": key.alg(), "kid": kid});
            let token = key.sign(&header, &json!({"sub": "x"})).unwrap();
            // What a jwtAuth IdP does with its static key, in every pasted shape.
            for shape in [pem.clone(), pem.replace('\n', "")] {
                let claims = crate::sim::verify_with_pem(&token, &shape).unwrap();
                assert_eq!(claims["sub"], "x");
            }
            let mut tampered = token.clone();
            tampered.insert(token.find('.').unwrap() + 2, 'A');
            assert!(crate::sim::verify_with_pem(&tampered, &pem).is_err());
        }
    }

    fn err(file: &[u8]) -> String {
        SigningKey::from_bytes(file, None).unwrap_err()
    }

    #[test]
    fn bad_pems_say_what_is_wrong() {
        assert!(err(b"hello").contains("neither a PEM file"));
        assert!(
            err(b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----")
                .contains("PKCS#8")
        );
        assert!(
            err(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                .contains("found a PUBLIC KEY block")
        );
        assert!(err(b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg").contains("truncated"));
        assert!(
            err(b"-----BEGIN PRIVATE KEY-----\nsecret!!\n-----END PRIVATE KEY-----")
                .contains("not valid base64")
        );
        assert!(
            err(b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----")
                .contains("neither RSA nor EC P-384")
        );
        let rsa = include_str!("../../tests/fixtures/rsa-test-key.pem");
        let legacy = rsa.replace("KEY-----\n", "KEY-----\nProc-Type: 4,ENCRYPTED\n\n");
        assert!(err(legacy.as_bytes()).contains("legacy encryption"));
    }

    #[test]
    fn der_keys_are_read_and_wrong_ones_refused() {
        let pem = include_str!("../../tests/fixtures/rsa-test-key.pem");
        let Ok(Some((_, der))) = pem_block(pem.as_bytes()) else {
            panic!("fixture is a PEM")
        };
        let from_pem = SigningKey::from_bytes(pem.as_bytes(), None).unwrap();
        let from_der = SigningKey::from_bytes(&der, None).unwrap();
        assert_eq!(from_pem.kid, from_der.kid);
        let p256 = EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .unwrap();
        assert!(err(p256.as_ref()).contains("not an RSA or EC P-384 private key"));
        assert!(err(&[0x30, 0x82, 0xff, 0xff]).contains("a DER file"));
    }

    /// Inputs that once panicked (the fuzz target `pem_jwk` runs this reader too).
    #[test]
    fn regressions_never_panic_and_never_quote_the_file() {
        let cases: &[&[u8]] = &[
            b"-----BEGIN -----END -----",
            b"-----BEGIN ",
            b"-----BEGIN X",
            b"-----BEGIN X-----",
            b"-----BEGIN \xff\xfe-----\n-----END \xff\xfe-----",
            b"-----BEGIN SECRETLABEL WITH lower case-----\nAAAA\n-----END SECRETLABEL WITH lower case-----",
            &[b"-----BEGIN ".as_slice(), &[b'A'; 100_000], b"-----"].concat(),
            b"",
            b"\x30",
        ];
        for case in cases {
            let e = err(case);
            assert!(!e.contains("SECRET") && !e.contains("lower"), "{e}");
        }
    }
}
