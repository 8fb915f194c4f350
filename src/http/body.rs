//! What is read out of and put into bodies and headers: query strings, cookies, form and
//! multipart bodies, gzip/deflate.

use std::io::{Read, Write};

use bytes::Bytes;
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

use super::types::MultipartFile;

/// Decoded `name=value` pairs of a query string or form body.
pub(crate) fn pairs(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text).into_owned().collect()
}

/// Cookies of `Cookie` header values, percent-decoded; malformed pairs are skipped.
pub(crate) fn cookies<'a>(values: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    values
        .flat_map(cookie::Cookie::split_parse_encoded)
        .filter_map(|c| c.ok())
        .map(|c| (c.name().to_string(), c.value().to_string()))
        .collect()
}

/// A `Set-Cookie` value (name and value percent-encoded where needed).
#[allow(clippy::too_many_arguments)]
pub fn set_cookie_value(
    name: &str,
    value: &str,
    path: &str,
    domain: &str,
    max_age: Option<i64>,
    http_only: bool,
    secure: bool,
    same_site: &str,
) -> String {
    let mut c = cookie::Cookie::new(name.to_string(), value.to_string());
    if !path.is_empty() {
        c.set_path(path.to_string());
    }
    if !domain.is_empty() {
        c.set_domain(domain.to_string());
    }
    if let Some(secs) = max_age {
        c.set_max_age(cookie::time::Duration::seconds(secs));
    }
    c.set_http_only(http_only);
    c.set_secure(secure);
    let site = match same_site.to_ascii_lowercase().as_str() {
        "strict" => Some(cookie::SameSite::Strict),
        "lax" => Some(cookie::SameSite::Lax),
        "none" => Some(cookie::SameSite::None),
        _ => None,
    };
    c.set_same_site(site);
    c.encoded().to_string()
}

/// Form fields and files of a `multipart/form-data` body with this `Content-Type`.
pub(crate) async fn multipart(
    content_type: &str,
    body: Bytes,
) -> Result<(Vec<(String, String)>, Vec<MultipartFile>), String> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let stream = futures_util::stream::iter([Ok::<Bytes, std::convert::Infallible>(body)]);
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut form = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = parts.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.to_string());
        let content = field.bytes().await.map_err(|e| e.to_string())?;
        match filename {
            Some(filename) => files.push(MultipartFile {
                field_name: name,
                filename,
                content_type: content_type.unwrap_or_default(),
                content,
            }),
            None => form.push((name, String::from_utf8_lossy(&content).into_owned())),
        }
    }
    Ok((form, files))
}

/// The content codings we produce and read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// The coding to answer with for an `Accept-Encoding` value: gzip when acceptable, else
/// deflate; a coding with q=0 is refused, `*` stands for the ones not named.
pub(crate) fn negotiate(accept: &str) -> Option<Coding> {
    let mut gzip = None;
    let mut deflate = None;
    let mut any = None;
    for item in accept.split(',') {
        let mut fields = item.split(';');
        let name = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = fields
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        let ok = q > 0.0;
        match name.as_str() {
            "gzip" | "x-gzip" => gzip = Some(ok),
            "deflate" => deflate = Some(ok),
            "*" => any = Some(ok),
            _ => {}
        }
    }
    if gzip.or(any) == Some(true) {
        Some(Coding::Gzip)
    } else if deflate.or(any) == Some(true) {
        Some(Coding::Deflate)
    } else {
        None
    }
}

/// Compresses a body (deflate is the zlib format, as HTTP defines it).
pub(crate) fn compress(coding: Coding, data: &[u8]) -> std::io::Result<Vec<u8>> {
    match coding {
        Coding::Gzip => {
            let mut e = GzEncoder::new(Vec::with_capacity(data.len() / 2), Compression::fast());
            e.write_all(data)?;
            e.finish()
        }
        Coding::Deflate => {
            let mut e = ZlibEncoder::new(Vec::with_capacity(data.len() / 2), Compression::fast());
            e.write_all(data)?;
            e.finish()
        }
    }
}

/// Decodes a gzip or deflate body (deflate: zlib, or raw deflate as some servers send),
/// refusing to produce more than `limit` bytes.
pub(crate) fn decompress(coding: Coding, data: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    fn read_all(r: impl Read, limit: usize) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.take(limit as u64 + 1).read_to_end(&mut out)?;
        if out.len() > limit {
            return Err(std::io::Error::other(format!(
                "decoded body exceeds {limit} bytes"
            )));
        }
        Ok(out)
    }
    match coding {
        Coding::Gzip => read_all(GzDecoder::new(data), limit),
        Coding::Deflate => read_all(ZlibDecoder::new(data), limit)
            .or_else(|_| read_all(DeflateDecoder::new(data), limit)),
    }
}

/// The coding named by a `Content-Encoding` value we can decode.
pub(crate) fn coding_of(content_encoding: &str) -> Option<Coding> {
    match content_encoding.trim().to_ascii_lowercase().as_str() {
        "gzip" | "x-gzip" => Some(Coding::Gzip),
        "deflate" => Some(Coding::Deflate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_negotiated_with_q_values() {
        assert_eq!(negotiate("gzip, deflate, br"), Some(Coding::Gzip));
        assert_eq!(negotiate("deflate"), Some(Coding::Deflate));
        assert_eq!(negotiate("gzip;q=0, deflate"), Some(Coding::Deflate));
        assert_eq!(negotiate("br"), None);
        assert_eq!(negotiate("identity"), None);
        assert_eq!(negotiate("*"), Some(Coding::Gzip));
        assert_eq!(negotiate("*;q=0"), None);
        assert_eq!(negotiate("gzip;q=0, *"), Some(Coding::Deflate));
    }

    #[test]
    fn codings_round_trip() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for c in [Coding::Gzip, Coding::Deflate] {
            let z = compress(c, &data).expect("compress");
            assert!(z.len() < data.len());
            assert_eq!(decompress(c, &z, data.len()).expect("decode"), data);
            assert!(decompress(c, &z, data.len() - 1).is_err(), "limit enforced");
        }
    }

    #[test]
    fn cookies_and_pairs_are_decoded() {
        assert_eq!(
            cookies(["a=1; b=x%20y", "c=3"].into_iter()),
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "x y".to_string()),
                ("c".to_string(), "3".to_string())
            ]
        );
        assert_eq!(
            pairs(b"q=a+b&x=%2F&empty="),
            vec![
                ("q".to_string(), "a b".to_string()),
                ("x".to_string(), "/".to_string()),
                ("empty".to_string(), String::new())
            ]
        );
        let v = set_cookie_value("sid", "a b", "/", "", Some(60), true, false, "Lax");
        assert!(v.starts_with("sid=a%20b"), "{v}");
        assert!(v.contains("HttpOnly") && v.contains("Max-Age=60") && v.contains("SameSite=Lax"));
    }
}
