//! Length-prefixed framing: a 4-byte big-endian length before each message.

use bytes::BufMut;

/// Bytes of the length header.
pub const HEADER_LEN: usize = 4;

/// Appends one frame (header + payload) to `dst`.
pub fn encode_into(dst: &mut impl BufMut, payload: &[u8]) {
    // Callers check the size against max_message_size (<= u32::MAX) first.
    dst.put_u32(payload.len() as u32);
    dst.put_slice(payload);
}

/// What the front of a receive buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame whose payload is `buf[HEADER_LEN..HEADER_LEN + len]`.
    Frame(usize),
    /// Not enough bytes yet; the whole frame needs this many bytes in the buffer.
    Incomplete(usize),
    /// The header announces a payload of this many bytes, over the limit.
    TooLarge(usize),
}

/// Looks at the front of `buf` for one frame whose payload is at most `max` bytes.
pub fn decode(buf: &[u8], max: usize) -> Decoded {
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Decoded::Incomplete(HEADER_LEN);
    };
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if len > max {
        Decoded::TooLarge(len)
    } else if buf.len() >= HEADER_LEN + len {
        Decoded::Frame(len)
    } else {
        Decoded::Incomplete(HEADER_LEN + len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    #[test]
    fn round_trip_and_partial() {
        let mut buf = BytesMut::new();
        encode_into(&mut buf, b"hello");
        encode_into(&mut buf, b"");
        assert_eq!(&buf[..4], &[0, 0, 0, 5]);
        assert_eq!(decode(&buf, 16), Decoded::Frame(5));
        assert_eq!(&buf[4..9], b"hello");
        assert_eq!(decode(&buf[9..], 16), Decoded::Frame(0));
        assert_eq!(decode(&buf[..3], 16), Decoded::Incomplete(4));
        assert_eq!(decode(&buf[..6], 16), Decoded::Incomplete(9));
        assert_eq!(decode(&buf, 4), Decoded::TooLarge(5));
    }
}
