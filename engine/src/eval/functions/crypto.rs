//! Built-in functions: hashes and ids (`md5`, `sha256`, `base64sha256`, `uuid`, `uuidv5`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::args::string;
use super::{Arity, FunctionContext, FunctionError, Registry};
use crate::eval::Value;

pub(super) fn register(r: &mut Registry) {
    r.add("md5", Arity::Exactly(1), |_, a| Ok(Value::String(hex::encode(Md5::digest(string(&a, 0)?)))));
    r.add("sha1", Arity::Exactly(1), |_, a| Ok(Value::String(hex::encode(Sha1::digest(string(&a, 0)?)))));
    r.add("sha256", Arity::Exactly(1), |_, a| Ok(Value::String(hex::encode(Sha256::digest(string(&a, 0)?)))));
    r.add("sha512", Arity::Exactly(1), |_, a| Ok(Value::String(hex::encode(Sha512::digest(string(&a, 0)?)))));
    r.add("base64sha256", Arity::Exactly(1), |_, a| Ok(Value::String(B64.encode(Sha256::digest(string(&a, 0)?)))));
    r.add("base64sha512", Arity::Exactly(1), |_, a| Ok(Value::String(B64.encode(Sha512::digest(string(&a, 0)?)))));
    r.add("uuid", Arity::Exactly(0), |_, _| Ok(Value::String(uuid::Uuid::new_v4().to_string())));
    r.add("uuidv5", Arity::Exactly(2), uuidv5);
}

fn uuidv5(_: &FunctionContext<'_>, a: Vec<Value>) -> Result<Value, FunctionError> {
    let ns = string(&a, 0)?;
    let namespace = match ns.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other)
            .map_err(|_| FunctionError::at(0, format!("uuidv5() doesn't support namespace {other:?}")))?,
    };
    Ok(Value::String(uuid::Uuid::new_v5(&namespace, string(&a, 1)?.as_bytes()).to_string()))
}

/// Hash helpers for the file functions.
pub(super) fn digest_hex(kind: &str, bytes: &[u8]) -> String {
    match kind {
        "md5" => hex::encode(Md5::digest(bytes)),
        "sha1" => hex::encode(Sha1::digest(bytes)),
        "sha512" => hex::encode(Sha512::digest(bytes)),
        _ => hex::encode(Sha256::digest(bytes)),
    }
}

pub(super) fn digest_base64(kind: &str, bytes: &[u8]) -> String {
    match kind {
        "sha512" => B64.encode(Sha512::digest(bytes)),
        _ => B64.encode(Sha256::digest(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values are what Terraform 1.11's console gives.
    #[test]
    fn hashes_and_uuidv5_match_terraform() {
        assert_eq!(digest_hex("md5", b"a"), "0cc175b9c0f1b6a831c399e269772661");
        assert_eq!(digest_base64("sha256", b"a"), "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=");
        let ctx = FunctionContext { module_dir: std::path::Path::new(".") };
        assert_eq!(
            uuidv5(&ctx, vec!["dns".into(), "example.com".into()]).unwrap(),
            Value::from("cfbff0d1-9375-5685-968c-48ce8b15ae17")
        );
    }
}
