//! Private Key JWT client authentication (RFC 7523): a key read from a PEM file signs a short
//! assertion (RS256 or ES384) instead of sending a client secret.

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
    /// EC P-384 (PKCS#8) key. `kid` defaults to the key's JWK thumbprint (RFC 7638).
    pub fn from_pem(pem: &str, kid: Option<String>) -> Result<SigningKey, String> {
        let (label, der) = pem_block(pem)?;
        let key = match label.as_str() {
            "RSA PRIVATE KEY" => Key::Rsa(
                RsaKeyPair::from_der(&der).map_err(|e| format!("not a usable RSA key: {e}"))?,
            ),
            "PRIVATE KEY" => match RsaKeyPair::from_pkcs8(&der) {
                Ok(k) => Key::Rsa(k),
                Err(_) => Key::Ec384(
                    EcdsaKeyPair::from_pkcs8(
                        &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                        &der,
                        &SystemRandom::new(),
                    )
                    .map_err(|_| "the key is neither RSA nor EC P-384 (PKCS#8)".to_string())?,
                ),
            },
            "EC PRIVATE KEY" => return Err(
                "EC keys must be PKCS#8: convert with `openssl pkcs8 -topk8 -nocrypt -in key.pem`"
                    .into(),
            ),
            "ENCRYPTED PRIVATE KEY" => {
                return Err("encrypted keys are not supported; decrypt the key first".into())
            }
            other => return Err(format!("expected a private key PEM, found {other:?}")),
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

    /// The required members only, in RFC 7638 order.
    fn jwk_members(&self) -> Value {
        match &self.key {
            Key::Rsa(k) => {
                let c = signature::RsaPublicKeyComponents::<Vec<u8>>::from(k.public());
                json!({"e": URL_SAFE_NO_PAD.encode(&c.e), "kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&c.n)})
            }
            Key::Ec384(k) => {
                let point = k.public_key().as_ref();
                let (x, y) = point[1..].split_at(48);
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

/// The label and DER bytes of the first PEM block.
fn pem_block(pem: &str) -> Result<(String, Vec<u8>), String> {
    let start = pem
        .find("-----BEGIN ")
        .ok_or("no PEM block (-----BEGIN ...-----) found")?;
    let rest = &pem[start + 11..];
    let label_end = rest.find("-----").ok_or("malformed PEM header")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest
        .find(&end_marker)
        .ok_or_else(|| format!("no {end_marker} line"))?;
    let b64: String = rest[body_start..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD
        .decode(b64)
        .map_err(|e| format!("PEM body is not base64: {e}"))?;
    Ok((label, der))
}

/// A random UUID (version 4) for `jti`.
fn uuid_v4() -> String {
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
        let key = SigningKey::from_pem(&ec_pem(), None).unwrap();
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
        let key = SigningKey::from_pem(pem, Some("k1".into())).unwrap();
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
    fn bad_pems_say_what_is_wrong() {
        assert!(SigningKey::from_pem("hello", None)
            .unwrap_err()
            .contains("no PEM block"));
        assert!(SigningKey::from_pem(
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----",
            None
        )
        .unwrap_err()
        .contains("PKCS#8"));
        assert!(SigningKey::from_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            None
        )
        .unwrap_err()
        .contains("private key"));
    }
}
