//! Error codes (ARCHITECTURE §5) and the crate's error type.

use std::fmt;
use std::io;

/// Every error code the library reports. The values are part of the ABI and never change.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Success = 0,
    InvalidArgument = -1,
    NotFound = -2,
    PermissionDenied = -3,
    Timeout = -4,
    Cancelled = -5,
    NotInitialized = -6,
    AlreadyExists = -7,
    OutOfMemory = -8,
    IoError = -9,
    NetworkError = -10,
    InternalError = -99,
    ConnectionFailed = -600,
    ConnectionRefused = -601,
    ConnectionTimeout = -602,
    ConnectionClosed = -603,
    CircuitOpen = -604,
    TlsHandshakeFailed = -605,
    CertificateError = -606,
    AddressResolutionFailed = -607,
    SessionNotFound = -620,
    SessionExpired = -621,
    InvalidSession = -622,
    SessionLimitReached = -623,
    SendFailed = -640,
    ReceiveFailed = -641,
    MessageTooLarge = -642,
    SendQueueFull = -643,
    ProtocolError = -644,
    ServerNotStarted = -660,
    ServerAlreadyRunning = -661,
    BindFailed = -662,
    ClientNotStarted = -663,
    ClientAlreadyRunning = -664,
    /// QUIC: the peer allows no more streams of that kind now.
    StreamLimitReached = -680,
    /// QUIC: the stream was finished, reset or stopped; the connection is unaffected.
    StreamClosed = -681,
    /// QUIC: the peer closed the connection with a non-zero application error code.
    ClosedByPeer = -682,
}

impl ErrorCode {
    /// All codes, in table order.
    pub const ALL: [ErrorCode; 37] = [
        ErrorCode::Success,
        ErrorCode::InvalidArgument,
        ErrorCode::NotFound,
        ErrorCode::PermissionDenied,
        ErrorCode::Timeout,
        ErrorCode::Cancelled,
        ErrorCode::NotInitialized,
        ErrorCode::AlreadyExists,
        ErrorCode::OutOfMemory,
        ErrorCode::IoError,
        ErrorCode::NetworkError,
        ErrorCode::InternalError,
        ErrorCode::ConnectionFailed,
        ErrorCode::ConnectionRefused,
        ErrorCode::ConnectionTimeout,
        ErrorCode::ConnectionClosed,
        ErrorCode::CircuitOpen,
        ErrorCode::TlsHandshakeFailed,
        ErrorCode::CertificateError,
        ErrorCode::AddressResolutionFailed,
        ErrorCode::SessionNotFound,
        ErrorCode::SessionExpired,
        ErrorCode::InvalidSession,
        ErrorCode::SessionLimitReached,
        ErrorCode::SendFailed,
        ErrorCode::ReceiveFailed,
        ErrorCode::MessageTooLarge,
        ErrorCode::SendQueueFull,
        ErrorCode::ProtocolError,
        ErrorCode::ServerNotStarted,
        ErrorCode::ServerAlreadyRunning,
        ErrorCode::BindFailed,
        ErrorCode::ClientNotStarted,
        ErrorCode::ClientAlreadyRunning,
        ErrorCode::StreamLimitReached,
        ErrorCode::StreamClosed,
        ErrorCode::ClosedByPeer,
    ];

    /// The numeric value used by the C ABI.
    pub fn value(self) -> i32 {
        self as i32
    }

    /// The code with the given value, if there is one.
    pub fn from_value(value: i32) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.value() == value)
    }

    /// The snake_case name from the error table, e.g. `"connection_closed"`.
    pub fn name(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Success => "success",
            InvalidArgument => "invalid_argument",
            NotFound => "not_found",
            PermissionDenied => "permission_denied",
            Timeout => "timeout",
            Cancelled => "cancelled",
            NotInitialized => "not_initialized",
            AlreadyExists => "already_exists",
            OutOfMemory => "out_of_memory",
            IoError => "io_error",
            NetworkError => "network_error",
            InternalError => "internal_error",
            ConnectionFailed => "connection_failed",
            ConnectionRefused => "connection_refused",
            ConnectionTimeout => "connection_timeout",
            ConnectionClosed => "connection_closed",
            CircuitOpen => "circuit_open",
            TlsHandshakeFailed => "tls_handshake_failed",
            CertificateError => "certificate_error",
            AddressResolutionFailed => "address_resolution_failed",
            SessionNotFound => "session_not_found",
            SessionExpired => "session_expired",
            InvalidSession => "invalid_session",
            SessionLimitReached => "session_limit_reached",
            SendFailed => "send_failed",
            ReceiveFailed => "receive_failed",
            MessageTooLarge => "message_too_large",
            SendQueueFull => "send_queue_full",
            ProtocolError => "protocol_error",
            ServerNotStarted => "server_not_started",
            ServerAlreadyRunning => "server_already_running",
            BindFailed => "bind_failed",
            ClientNotStarted => "client_not_started",
            ClientAlreadyRunning => "client_already_running",
            StreamLimitReached => "stream_limit_reached",
            StreamClosed => "stream_closed",
            ClosedByPeer => "closed_by_peer",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.value())
    }
}

/// An error: a code from the table plus a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} [{code}]")]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Maps an I/O error met while connecting.
    pub(crate) fn connect(err: &io::Error, target: &str) -> Error {
        let code = match err.kind() {
            io::ErrorKind::ConnectionRefused => ErrorCode::ConnectionRefused,
            io::ErrorKind::TimedOut => ErrorCode::ConnectionTimeout,
            _ => ErrorCode::ConnectionFailed,
        };
        Error::new(code, format!("connect to {target} failed: {err}"))
    }

    /// Maps an I/O error met while binding a listener.
    pub(crate) fn bind(err: &io::Error, addr: &str) -> Error {
        Error::new(ErrorCode::BindFailed, format!("bind {addr} failed: {err}"))
    }

    /// A message over the size limit (`MessageTooLarge`).
    pub(crate) fn too_large(len: usize, max: usize) -> Error {
        Error::new(
            ErrorCode::MessageTooLarge,
            format!("message of {len} bytes exceeds max_message_size {max}"),
        )
    }

    /// A send refused by a full queue (`SendQueueFull`).
    pub(crate) fn queue_full(queued: usize, limit: usize) -> Error {
        Error::new(
            ErrorCode::SendQueueFull,
            format!("send queue holds {queued} bytes; limit is {limit}"),
        )
    }

    /// Maps an I/O error on an established connection.
    pub(crate) fn io(err: &io::Error, what: &str) -> Error {
        let code = match err.kind() {
            io::ErrorKind::TimedOut => ErrorCode::Timeout,
            io::ErrorKind::PermissionDenied => ErrorCode::PermissionDenied,
            _ => ErrorCode::NetworkError,
        };
        Error::new(code, format!("{what}: {err}"))
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(
                seen.insert(code.value()),
                "duplicate value {}",
                code.value()
            );
            assert_eq!(ErrorCode::from_value(code.value()), Some(code));
        }
        assert_eq!(ErrorCode::from_value(-5000), None);
    }

    #[test]
    fn table_values() {
        assert_eq!(ErrorCode::InternalError.value(), -99);
        assert_eq!(ErrorCode::ConnectionClosed.value(), -603);
        assert_eq!(ErrorCode::SendQueueFull.value(), -643);
        assert_eq!(ErrorCode::ClientAlreadyRunning.value(), -664);
        assert_eq!(
            ErrorCode::SessionLimitReached.name(),
            "session_limit_reached"
        );
    }
}
