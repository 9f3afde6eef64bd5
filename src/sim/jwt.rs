//! Private Key JWT client authentication (RFC 7523, reference §1.1) and the key material it
//! needs: JWK validation for OAuth-client `publicKeys`, JWS verification with ring, and the
//! public-key PEM check used by identity providers' `staticKeys`.
//!
//! Pure: no state, no I/O. The caller supplies the client's keys, the accepted audiences and the
//! sim clock; replay (`jti`) bookkeeping stays with the caller.

use crate::der::{self, element};
use base64::Engine as _;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::Value;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Signature algorithms accepted for client assertions (RSA keys >= 2048 bits, or P-384).
pub const ALGS: &[&str] = &["RS256", "RS512", "ES384"];

/// Decodes base64url, tolerating `=` padding.
fn b64url(s: &str) -> Option<Vec<u8>> {
    B64.decode(s.trim_end_matches('=')).ok()
}

fn str_field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

/// Validates one JWK of an OAuth client's `publicKeys`:
/// `{kid, kty: RSA|EC, alg: RS256|RS512|ES384, use: "sig", n,e | crv: "P-384",x,y}`.
pub fn validate_jwk(k: &Value) -> Result<(), String> {
    if !k.is_object() {
        return Err("each public key must be a JSON object (a JWK)".into());
    }
    let kid = str_field(k, "kid").filter(|s| !s.trim().is_empty());
    let kid = kid.ok_or("a public key needs a non-empty string kid")?;
    let kty = str_field(k, "kty").ok_or(format!("key {kid}: kty is required (RSA or EC)"))?;
    let alg = str_field(k, "alg").ok_or(format!("key {kid}: alg is required"))?;
    match k.get("use") {
        None | Some(Value::Null) => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(format!("key {kid}: use must be \"sig\"")),
    }
    match (kty, alg) {
        ("RSA", "RS256" | "RS512") => {
            let n = str_field(k, "n").and_then(b64url);
            let n = n.ok_or(format!("key {kid}: n must be base64url"))?;
            let e = str_field(k, "e").and_then(b64url);
            let e = e.ok_or(format!("key {kid}: e must be base64url"))?;
            let bits = strip_zeros(&n).len() * 8;
            if bits < 2048 {
                return Err(format!(
                    "key {kid}: RSA keys must be at least 2048 bits, got {bits}"
                ));
            }
            if e.is_empty() {
                return Err(format!("key {kid}: e is empty"));
            }
            Ok(())
        }
        ("EC", "ES384") => {
            if str_field(k, "crv") != Some("P-384") {
                return Err(format!("key {kid}: ES384 keys need crv \"P-384\""));
            }
            ec_point(k).map(|_| ()).ok_or(format!(
                "key {kid}: x and y must be base64url coordinates of 48 bytes"
            ))
        }
        ("RSA" | "EC", _) => Err(format!(
            "key {kid}: alg {alg} does not fit kty {kty} (RSA: RS256, RS512; EC: ES384)"
        )),
        _ => Err(format!("key {kid}: kty must be RSA or EC")),
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// The uncompressed SEC1 point `04 || x || y` of a P-384 JWK.
fn ec_point(k: &Value) -> Option<Vec<u8>> {
    let x = str_field(k, "x").and_then(b64url)?;
    let y = str_field(k, "y").and_then(b64url)?;
    if x.len() != 48 || y.len() != 48 {
        return None;
    }
    let mut p = Vec::with_capacity(97);
    p.push(4);
    p.extend_from_slice(&x);
    p.extend_from_slice(&y);
    Some(p)
}

/// What the token endpoint expects of an assertion.
pub struct Expect<'a> {
    pub client_id: &'a str,
    /// Accepted `aud` values (token endpoint URLs).
    pub audiences: &'a [String],
    /// Now on the sim clock, Unix seconds.
    pub now_secs: i64,
}

/// A verified assertion's replay-relevant claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub jti: String,
    pub exp: i64,
}

/// Reads `sub` (or `iss`) of an assertion without verifying it, to find the client when the
/// request carries no `client_id`.
pub fn unverified_subject(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let v: Value = serde_json::from_slice(&b64url(payload)?).ok()?;
    str_field(&v, "sub")
        .or_else(|| str_field(&v, "iss"))
        .map(str::to_string)
}

/// Verifies a client assertion (compact JWS) against the client's registered `keys` (JWKs) and
/// the expectations; the error is a human-readable reason for a 401 `detail`.
pub fn verify_assertion(token: &str, keys: &[Value], expect: &Expect) -> Result<Assertion, String> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 {
        return Err("client_assertion is not a compact JWS (header.payload.signature)".into());
    }
    let header: Value = b64url(parts[0])
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("client_assertion header is not base64url JSON")?;
    let payload: Value = b64url(parts[1])
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("client_assertion payload is not base64url JSON")?;
    let sig = b64url(parts[2]).ok_or("client_assertion signature is not base64url")?;
    let alg = str_field(&header, "alg").ok_or("client_assertion header has no alg")?;
    if !ALGS.contains(&alg) {
        return Err(format!(
            "client_assertion alg {alg} is not accepted; use one of {}",
            ALGS.join(", ")
        ));
    }
    let kid = str_field(&header, "kid").ok_or("client_assertion header has no kid")?;
    let key = keys
        .iter()
        .find(|k| str_field(k, "kid") == Some(kid))
        .ok_or(format!(
            "no public key with kid \"{kid}\" is registered for this client"
        ))?;
    if str_field(key, "alg").is_some_and(|a| a != alg) {
        return Err(format!(
            "key \"{kid}\" is registered for {}, the assertion uses {alg}",
            str_field(key, "alg").unwrap_or("")
        ));
    }
    let signed = format!("{}.{}", parts[0], parts[1]);
    let good = match alg {
        "RS256" | "RS512" => {
            let n = str_field(key, "n").and_then(b64url);
            let e = str_field(key, "e").and_then(b64url);
            match (n, e, str_field(key, "kty")) {
                (Some(n), Some(e), Some("RSA")) => {
                    let params = if alg == "RS256" {
                        &signature::RSA_PKCS1_2048_8192_SHA256
                    } else {
                        &signature::RSA_PKCS1_2048_8192_SHA512
                    };
                    let c = RsaPublicKeyComponents {
                        n: strip_zeros(&n),
                        e: strip_zeros(&e),
                    };
                    c.verify(params, signed.as_bytes(), &sig).is_ok()
                }
                _ => return Err(format!("key \"{kid}\" is not a usable RSA key")),
            }
        }
        _ => match (ec_point(key), str_field(key, "kty")) {
            (Some(point), Some("EC")) => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(signed.as_bytes(), &sig)
                    .is_ok()
            }
            _ => return Err(format!("key \"{kid}\" is not a usable P-384 key")),
        },
    };
    if !good {
        return Err(format!(
            "client_assertion signature does not verify with key \"{kid}\""
        ));
    }
    let iss = str_field(&payload, "iss");
    let sub = str_field(&payload, "sub");
    if iss != Some(expect.client_id) || sub != Some(expect.client_id) {
        return Err(format!(
            "client_assertion iss and sub must both be the client id {}",
            expect.client_id
        ));
    }
    let aud_ok = match payload.get("aud") {
        Some(Value::String(a)) => expect.audiences.iter().any(|x| x == a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| expect.audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "client_assertion aud must be the token endpoint URL ({})",
            expect.audiences.first().map(String::as_str).unwrap_or("")
        ));
    }
    let exp = payload
        .get("exp")
        .and_then(Value::as_f64)
        .ok_or("client_assertion has no numeric exp")? as i64;
    if exp <= expect.now_secs {
        return Err("client_assertion has expired".into());
    }
    let jti = str_field(&payload, "jti")
        .filter(|j| !j.is_empty())
        .ok_or("client_assertion has no jti")?;
    Ok(Assertion {
        jti: jti.to_string(),
        exp,
    })
}

/// Checks that `pem` is one public key in PEM (`PUBLIC KEY`, i.e. SubjectPublicKeyInfo,
/// `RSA PUBLIC KEY`, i.e. PKCS#1, or an X.509 `CERTIFICATE`) whose DER is well formed, in any
/// of the shapes [`super::pem::spki_der`] reads (newlines stripped or escaped included).
pub fn check_public_key_pem(pem: &str) -> Result<(), String> {
    super::pem::spki_der(pem).map(|_| ())
}

/// A new ECDSA P-256 key pair for signing ES256 JWTs: its PKCS#8 document (keep it private)
/// and the SubjectPublicKeyInfo PEM of its public key.
pub fn generate_es256() -> Result<(Vec<u8>, String), String> {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| "cannot generate a P-256 key pair".to_string())?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng)
        .map_err(|_| "cannot read the generated P-256 key pair".to_string())?;
    let pem = spki_pem_p256(pair.public_key().as_ref());
    Ok((doc.as_ref().to_vec(), pem))
}

/// The `PUBLIC KEY` PEM of an uncompressed P-256 point (65 bytes).
fn spki_pem_p256(point: &[u8]) -> String {
    let mut alg = der::encode(0x06, der::EC_PUBLIC_KEY);
    alg.extend(der::encode(0x06, der::P256));
    der::public_key_pem(&der::spki(&alg, point))
}

/// Signs `claims` as a compact ES256 JWS with the P-256 PKCS#8 key, header `{alg, typ, kid}`.
pub fn sign_es256(pkcs8: &[u8], kid: &str, claims: &Value) -> Result<String, String> {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
        .map_err(|_| "the deployment's private key is unreadable".to_string())?;
    let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig = pair
        .sign(&rng, input.as_bytes())
        .map_err(|_| "signing failed".to_string())?;
    Ok(format!("{input}.{}", B64.encode(sig.as_ref())))
}

/// The header and payload of a compact JWS, unverified.
pub fn decode_unverified(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.trim().split('.');
    let h = parts.next().and_then(b64url)?;
    let p = parts.next().and_then(b64url)?;
    Some((
        serde_json::from_slice(&h).ok()?,
        serde_json::from_slice(&p).ok()?,
    ))
}

/// Verifies the signature of a compact JWS with a `PUBLIC KEY` PEM (SubjectPublicKeyInfo):
/// ES256 (P-256), ES384 (P-384) or RS256/RS384/RS512 (RSA). Returns the payload; the error says why not.
pub fn verify_with_pem(token: &str, pem: &str) -> Result<Value, String> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 {
        return Err("the token is not a compact JWS".into());
    }
    let (header, payload) = decode_unverified(token).ok_or("the token is not base64url JSON")?;
    let sig = b64url(parts[2]).ok_or("the token signature is not base64url")?;
    let alg = str_field(&header, "alg").unwrap_or("");
    let der = super::pem::spki_der(pem).map_err(|e| format!("the trusted key: {e}"))?;
    // SEQUENCE { SEQUENCE { OID alg, params }, BIT STRING key }
    let (_, inner, _) = element(&der, 0x30).ok_or("the public key is not DER")?;
    let (_, alg_id, rest) = element(inner, 0x30).ok_or("the public key has no algorithm")?;
    let (_, bits, _) = element(rest, 0x03).ok_or("the public key has no key bits")?;
    let key = bits.get(1..).unwrap_or_default();
    let (_, oid, params) = element(alg_id, 0x06).ok_or("the public key has no algorithm id")?;
    use crate::der::{EC_PUBLIC_KEY as EC, P256, P384, RSA_ENCRYPTION as RSA};
    let curve = element(params, 0x06).map(|(_, c, _)| c);
    let params: &dyn signature::VerificationAlgorithm = match (oid, curve, alg) {
        (o, Some(c), "ES256") if o == EC && c == P256 => &signature::ECDSA_P256_SHA256_FIXED,
        (o, Some(c), "ES384") if o == EC && c == P384 => &signature::ECDSA_P384_SHA384_FIXED,
        (o, _, "RS256") if o == RSA => &signature::RSA_PKCS1_2048_8192_SHA256,
        (o, _, "RS384") if o == RSA => &signature::RSA_PKCS1_2048_8192_SHA384,
        (o, _, "RS512") if o == RSA => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => {
            return Err(format!(
                "the token's alg {alg:?} does not fit the trusted key"
            ))
        }
    };
    let signed = format!("{}.{}", parts[0], parts[1]);
    UnparsedPublicKey::new(params, key)
        .verify(signed.as_bytes(), &sig)
        .map_err(|_| "signature verification failed".to_string())?;
    Ok(payload)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
    use serde_json::json;

    /// A 2048-bit RSA test key (PKCS#8 DER, base64), made with
    /// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` (then `openssl pkcs8 -topk8 -nocrypt`). Test use only.
    pub const RSA_PKCS8: &str = concat!(
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDo538lo4+iGhHN9tCTZayAnojzHpWTepHw93gDM57IO9UptvaD",
        "A3048uPIVmxNjpvVhjSrsFVw3/ri7azOyv2ow3Z+/xUX03ddkQjPEVsYyzXH/z1Ua49HYjJmyMHyVGMszXhcNhDXLjQsRYtRXl2I",
        "ohgDte2gsX1qdTCeKrTw6g+vTvQrqkPDRwXOMqpx11/2Yq+SfGODgsbL82euejDFzzYwH/iBbWk9Syrya+Yvg2nCpC1NvRubmp7D",
        "+mrg6tusCU+UT6ZX3UcS1CMUZnCFBFNRXsIW5AUrZEJ6rtj1dtniDY/9erM7ukbotXcCQJbX2383Do/+Vav2wXt5F8AfAgMBAAEC",
        "ggEAANV+CbnMNIhjXUQaUGzMxqkf/xQySj+QxjbHTJD4Feog7pqjx1RRM82q2Hd2wSWsPoInLiDeLXP1MgV9LkBhKCQ1sxQMFJ8X",
        "46iL9NyFtvut9Z60WYOzv6MFCy6CLfFKFEmoD1ciOE2yDMvdnoJNU2/r0MJArOf1ywEga3CRCqEfguvNRLVpva90yweXcptfLtGk",
        "8oiBFWMYyZIIEEJRlsnDwrwTQXcJy9igG9aKs1+XLPGaTe/aLr9p4cJ6UVdGx8QhTHqvhJA5+3Djmris0I79aLZuYLR8Vm/VOK2i",
        "hdCTRkzwxXhbuMp5N/LyYazezUOLceAJoWX3hkWkJ3qkAQKBgQD1VIp0qQzxUP7xevreD+vWhU9G3vzKLRoCPOdleRxi7GGHaegl",
        "TR7x8Wl/gudYZZ6XB134zMehNvVgfN6f1gSTvdE5EI56fa30E95iyk5HJ/FsbnrActzxqPfDFInqFayReqpghSnjNlmjaM1YDTcg",
        "DkYzd4gyblx6c8Xf6bsjGQKBgQDzCJuQaGqmVssxnPrp++9nDUOp9kdKLvCT1LL0EsSD6iIsxmWnV59FmrG4BVqC+NlQsbKpXpsq",
        "d0SOc86eJkBUnH+nTfQVZhmjW9PiKz58YaaS2OIW8lvBxpn2HTXOBSNGuJt4ef4OxG/mrNE3AX1OpB1ABHP+5691nVj1+Wdb9wKB",
        "gFscOYtX2QGp9fSSmqZrvUdfHPESEUm4dEdOfRVXZC5s4U+cCmYH/S0XXfnIEMjofHxUdRbYXm9F7N0XosozfmGsBg6uUmu1Tywt",
        "UNLZlTah4+xEH3xnbBynhtRBRXLU99DTgID2E3dZkPK6EkDYL5fNFU853i/0go3LfzpIIILJAoGAC2/AQk9nlWRIM5F7jT85yNOq",
        "93iLakZDM/GyaiHn9X0zFoBPkExjRlc9Pbeixr8HGvEBw06cZqcuJrX0ZyTNqi2jJDBa6Bbh5foQQnhefGPr/sUN/p5xCvFZlWdS",
        "fNtpCY7uYgD7n55G1cgUIE6Fowm+BqEvBDPK4fIBmbGe14kCgYEAzt71iAsPrJM+aZtD/MvtXPM+lVUUYnmnuz25ZqK5utjxfzyL",
        "tULh4OfzalzpHdQnQNevVb6Lc5bpEp9CPWu7Lvc7uEY4u6+dmhXPzgc2Y4HzAvrPpzTsBiT5l1UH2IFkxX2O8n9p3WMunAVHKvZS",
        "poN13iVVukClwVfrv0xnP4Y=",
    );

    /// The SubjectPublicKeyInfo PEM of [`RSA_PKCS8`] (`openssl pkey -pubout`).
    pub const RSA_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA6Od/JaOPohoRzfbQk2Ws\ngJ6I8x6Vk3qR8Pd4AzOeyDvVKbb2gwN9OPLjyFZsTY6b1YY0q7BVcN/64u2szsr9\nqMN2fv8VF9N3XZEIzxFbGMs1x/89VGuPR2IyZsjB8lRjLM14XDYQ1y40LEWLUV5d\niKIYA7XtoLF9anUwniq08OoPr070K6pDw0cFzjKqcddf9mKvknxjg4LGy/Nnrnow\nxc82MB/4gW1pPUsq8mvmL4NpwqQtTb0bm5qew/pq4OrbrAlPlE+mV91HEtQjFGZw\nhQRTUV7CFuQFK2RCeq7Y9XbZ4g2P/XqzO7pG6LV3AkCW19t/Nw6P/lWr9sF7eRfA\nHwIDAQAB\n-----END PUBLIC KEY-----";

    pub fn rsa_pair() -> RsaKeyPair {
        let der = base64::engine::general_purpose::STANDARD
            .decode(RSA_PKCS8)
            .unwrap();
        RsaKeyPair::from_pkcs8(&der).expect("rsa key")
    }

    pub fn rsa_jwk(kid: &str, alg: &str) -> Value {
        let c: RsaPublicKeyComponents<Vec<u8>> = rsa_pair().public().into();
        json!({"kid": kid, "kty": "RSA", "alg": alg, "use": "sig",
               "n": B64.encode(&c.n), "e": B64.encode(&c.e)})
    }

    pub fn ec_pair() -> (EcdsaKeyPair, Value) {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, doc.as_ref(), &rng).unwrap();
        let p = pair.public_key().as_ref();
        let jwk = json!({"kid": "ec1", "kty": "EC", "alg": "ES384", "use": "sig", "crv": "P-384",
                         "x": B64.encode(&p[1..49]), "y": B64.encode(&p[49..97])});
        (pair, jwk)
    }

    fn encode(header: &Value, payload: &Value) -> String {
        format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(payload.to_string())
        )
    }

    pub fn sign_rs(alg: &str, kid: &str, payload: &Value) -> String {
        let input = encode(&json!({"alg": alg, "kid": kid, "typ": "JWT"}), payload);
        let pair = rsa_pair();
        let mut sig = vec![0; pair.public().modulus_len()];
        let pad = if alg == "RS512" {
            &signature::RSA_PKCS1_SHA512
        } else {
            &signature::RSA_PKCS1_SHA256
        };
        pair.sign(pad, &SystemRandom::new(), input.as_bytes(), &mut sig)
            .unwrap();
        format!("{input}.{}", B64.encode(sig))
    }

    pub fn sign_es(pair: &EcdsaKeyPair, kid: &str, payload: &Value) -> String {
        let input = encode(&json!({"alg": "ES384", "kid": kid}), payload);
        let sig = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", B64.encode(sig.as_ref()))
    }

    const AUD: &str = "https://acme.us.qlik.localhost/oauth/token";

    fn claims(now: i64) -> Value {
        json!({"iss": "c1", "sub": "c1", "aud": AUD, "jti": "j1", "iat": now, "exp": now + 300})
    }

    fn expect(auds: &[String]) -> Expect<'_> {
        Expect {
            client_id: "c1",
            audiences: auds,
            now_secs: 1_000,
        }
    }

    #[test]
    fn rsa_and_ec_assertions_verify() {
        let auds = vec![AUD.to_string()];
        let keys = vec![rsa_jwk("r1", "RS256"), rsa_jwk("r5", "RS512")];
        for k in &keys {
            validate_jwk(k).unwrap();
        }
        let t = sign_rs("RS256", "r1", &claims(1_000));
        let a = verify_assertion(&t, &keys, &expect(&auds)).unwrap();
        assert_eq!(
            a,
            Assertion {
                jti: "j1".into(),
                exp: 1_300
            }
        );
        let t = sign_rs("RS512", "r5", &claims(1_000));
        assert!(verify_assertion(&t, &keys, &expect(&auds)).is_ok());
        let (pair, jwk) = ec_pair();
        validate_jwk(&jwk).unwrap();
        let t = sign_es(&pair, "ec1", &claims(1_000));
        assert!(verify_assertion(&t, &[jwk], &expect(&auds)).is_ok());
        assert_eq!(unverified_subject(&t).as_deref(), Some("c1"));
    }

    #[test]
    fn each_failure_is_refused_with_a_reason() {
        let auds = vec![AUD.to_string()];
        let keys = vec![rsa_jwk("r1", "RS256")];
        let e = |t: &str| verify_assertion(t, &keys, &expect(&auds)).unwrap_err();
        // wrong kid, wrong alg for the key, unsupported alg
        assert!(e(&sign_rs("RS256", "zz", &claims(1_000))).contains("kid"));
        assert!(e(&sign_rs("RS512", "r1", &claims(1_000))).contains("registered for RS256"));
        let hs = encode(&json!({"alg": "HS256", "kid": "r1"}), &claims(1_000)) + ".AAAA";
        assert!(e(&hs).contains("not accepted"));
        // tampered payload
        let good = sign_rs("RS256", "r1", &claims(1_000));
        let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
        let mut c = claims(1_000);
        c["exp"] = json!(99_999);
        parts[1] = B64.encode(c.to_string());
        assert!(e(&parts.join(".")).contains("does not verify"));
        // claims
        let mut c = claims(1_000);
        c["iss"] = json!("other");
        assert!(e(&sign_rs("RS256", "r1", &c)).contains("iss and sub"));
        let mut c = claims(1_000);
        c["aud"] = json!(format!("{AUD}/"));
        assert!(e(&sign_rs("RS256", "r1", &c)).contains("aud"));
        let mut c = claims(1_000);
        c["aud"] = json!(["x", AUD]);
        assert!(verify_assertion(&sign_rs("RS256", "r1", &c), &keys, &expect(&auds)).is_ok());
        assert!(e(&sign_rs("RS256", "r1", &claims(500))).contains("expired"));
        let mut c = claims(1_000);
        c.as_object_mut().unwrap().remove("jti");
        assert!(e(&sign_rs("RS256", "r1", &c)).contains("jti"));
        // garbage never panics
        for junk in [
            "",
            "a.b",
            "a.b.c",
            "..",
            "é.é.é",
            "e30.e30.",
            "e30.e30.e30.e30",
        ] {
            assert!(verify_assertion(junk, &keys, &expect(&auds)).is_err());
        }
        // an EC key cannot verify an RSA-signed token with the same kid
        let (_, mut jwk) = ec_pair();
        jwk["kid"] = json!("r1");
        let t = sign_rs("RS256", "r1", &claims(1_000));
        assert!(verify_assertion(&t, &[jwk], &expect(&auds)).is_err());
    }

    #[test]
    fn jwk_validation() {
        assert!(validate_jwk(
            &json!({"kid": "a", "kty": "RSA", "alg": "RS256", "n": "AQAB", "e": "AQAB"})
        )
        .unwrap_err()
        .contains("2048"));
        assert!(validate_jwk(&json!({"kid": "a", "kty": "EC", "alg": "RS256"})).is_err());
        assert!(validate_jwk(&json!({"kid": "a", "kty": "oct", "alg": "HS256"})).is_err());
        assert!(validate_jwk(&json!({"kty": "RSA"})).is_err());
        let mut k = rsa_jwk("a", "RS256");
        k["use"] = json!("enc");
        assert!(validate_jwk(&k).is_err());
        assert!(validate_jwk(&json!("x")).is_err());
    }

    #[test]
    fn pem_check() {
        check_public_key_pem(RSA_PUBLIC_PEM).unwrap();
        check_public_key_pem(&RSA_PUBLIC_PEM.replace('\n', "\\n")).unwrap();
        assert!(check_public_key_pem("hello").is_err());
        assert!(check_public_key_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .is_err());
        assert!(
            check_public_key_pem("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----")
                .is_err()
        );
        assert!(check_public_key_pem(
            "-----BEGIN PUBLIC KEY-----\n!!notbase64\n-----END PUBLIC KEY-----"
        )
        .is_err());
    }
}
