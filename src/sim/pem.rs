//! Public keys as identity providers receive them in `staticKeys[].pem`: a `PUBLIC KEY`
//! (SubjectPublicKeyInfo), an `RSA PUBLIC KEY` (PKCS#1) or a `CERTIFICATE` (X.509: Qlik's JWT
//! tutorial makes one with `openssl req -new -x509` and pastes it as the IdP's certificate),
//! in the shapes seen pasted into JSON: with newlines, on one line with the newlines stripped,
//! with `\n` escaped, or with CRLF line ends. Every form comes out as one SPKI DER document.

use crate::der::{self, element};
use base64::Engine as _;

/// The SubjectPublicKeyInfo DER of the one public key in `pem`; the error says what is wrong
/// without quoting the text (a private key pasted by mistake must not be echoed).
pub fn spki_der(pem: &str) -> Result<Vec<u8>, String> {
    let text = pem.trim().replace("\\r\\n", "\n").replace("\\n", "\n");
    let (label, rest) = text
        .strip_prefix("-----BEGIN ")
        .and_then(|r| r.split_once("-----"))
        .ok_or("pem must start with -----BEGIN PUBLIC KEY----- (or CERTIFICATE)")?;
    let end = format!("-----END {label}-----");
    let body = rest
        .trim_end()
        .strip_suffix(end.as_str())
        .ok_or_else(|| format!("pem must end with {end}"))?;
    let plain = label.len() <= 40 && label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ');
    if !matches!(label, "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE") {
        let what = if plain { label } else { "block" };
        return Err(format!(
            "pem holds a {what}, not a PUBLIC KEY or CERTIFICATE (never send a private key)"
        ));
    }
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| "pem body is not base64".to_string())?;
    let (whole, inner, rest) = element(&der, 0x30).ok_or("pem body is not a DER SEQUENCE")?;
    if !rest.is_empty() {
        return Err("pem body has trailing bytes".into());
    }
    let broken = || "pem does not hold a well-formed public key".to_string();
    match label {
        "PUBLIC KEY" => {
            check_spki(inner).ok_or_else(broken)?;
            Ok(whole.to_vec())
        }
        "RSA PUBLIC KEY" => {
            // SEQUENCE { INTEGER n, INTEGER e }
            element(inner, 0x02)
                .and_then(|(_, _, r)| element(r, 0x02))
                .filter(|(_, _, r)| r.is_empty())
                .ok_or_else(broken)?;
            let mut alg = der::encode(0x06, der::RSA_ENCRYPTION);
            alg.extend_from_slice(&[0x05, 0x00]);
            Ok(der::spki(&alg, whole))
        }
        _ => {
            // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
            // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, .. } .. }
            let cert_spki = || -> Option<&[u8]> {
                let (_, tbs, _) = element(inner, 0x30)?;
                let mut r = tbs;
                if r.first() == Some(&0xa0) {
                    r = element(r, 0xa0)?.2;
                }
                r = element(r, 0x02)?.2;
                for _ in 0..4 {
                    r = element(r, 0x30)?.2;
                }
                let (spki, body, _) = element(r, 0x30)?;
                check_spki(body)?;
                Some(spki)
            };
            cert_spki()
                .map(<[u8]>::to_vec)
                .ok_or_else(|| "pem does not hold a well-formed X.509 certificate".to_string())
        }
    }
}

/// `SEQUENCE { SEQUENCE { OID, params }, BIT STRING }` (the contents of an SPKI).
fn check_spki(inner: &[u8]) -> Option<()> {
    let (_, alg, r) = element(inner, 0x30)?;
    element(alg, 0x06)?;
    let (_, bits, r) = element(r, 0x03)?;
    (r.is_empty() && bits.len() > 1).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::encode as tlv;
    use crate::sim::jwt::tests::RSA_PUBLIC_PEM;

    /// A self-signed certificate of the RSA test key (`openssl req -new -x509 -key k.pem`),
    /// re-encoded here from its parts so the test holds no opaque blob: only the SPKI matters.
    fn certificate_of(spki: &[u8]) -> String {
        let mut tbs = tlv(0xa0, &tlv(0x02, &[2]));
        tbs.extend(tlv(0x02, &[1]));
        let alg = {
            let mut a = tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
            );
            a.extend([0x05, 0x00]);
            tlv(0x30, &a)
        };
        tbs.extend(&alg);
        tbs.extend(tlv(0x30, &[])); // issuer
        tbs.extend(tlv(0x30, &[])); // validity
        tbs.extend(tlv(0x30, &[])); // subject
        tbs.extend_from_slice(spki);
        let mut cert = tlv(0x30, &tbs);
        cert.extend(&alg);
        cert.extend(tlv(0x03, &[0, 1, 2, 3]));
        let der = tlv(0x30, &cert);
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
    }

    #[test]
    fn every_pasted_shape_gives_the_same_key() {
        let want = spki_der(RSA_PUBLIC_PEM).unwrap();
        for shape in [
            RSA_PUBLIC_PEM.replace('\n', ""),
            RSA_PUBLIC_PEM.replace('\n', "\\n"),
            RSA_PUBLIC_PEM.replace('\n', "\r\n"),
            format!("  {RSA_PUBLIC_PEM}\n\n"),
            certificate_of(&want),
            certificate_of(&want).replace('\n', ""),
        ] {
            assert_eq!(spki_der(&shape).unwrap(), want, "{shape}");
        }
        // PKCS#1: the BIT STRING of the SPKI holds it.
        let (_, inner, _) = element(&want, 0x30).unwrap();
        let (_, _, r) = element(inner, 0x30).unwrap();
        let (_, bits, _) = element(r, 0x03).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bits[1..]);
        let pkcs1 = format!("-----BEGIN RSA PUBLIC KEY-----{b64}-----END RSA PUBLIC KEY-----");
        assert_eq!(spki_der(&pkcs1).unwrap(), want);
    }

    #[test]
    fn what_is_refused() {
        let e = spki_der("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----");
        assert!(e.unwrap_err().contains("never send a private key"));
        assert!(spki_der("hello").is_err());
        assert!(spki_der("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----").is_err());
        assert!(spki_der("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----").is_err());
        assert!(spki_der("-----BEGIN PUBLIC KEY-----\nMIIB").is_err());
    }
}
