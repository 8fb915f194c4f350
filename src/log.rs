//! Logging hook: records go to a user sink, or to stderr when `NETWORK_SYSTEM_LOG` is set.
//! Silent by default.

use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Once, RwLock};

/// Severity of a log record; a sink at level L receives records with `level <= L`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    pub fn from_value(v: i32) -> Option<Level> {
        Some(match v {
            0 => Level::Off,
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => return None,
        })
    }

    fn parse(s: &str) -> Level {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => Level::Off,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

/// A log sink: `(level, target, message)`.
pub type Sink = Arc<dyn Fn(Level, &str, &str) + Send + Sync>;

static MAX_LEVEL: AtomicI32 = AtomicI32::new(0);
static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static ENV_INIT: Once = Once::new();

fn init_from_env() {
    ENV_INIT.call_once(|| {
        if let Ok(v) = std::env::var("NETWORK_SYSTEM_LOG") {
            let sink_missing = SINK.read().map(|s| s.is_none()).unwrap_or(true);
            if sink_missing {
                MAX_LEVEL.store(Level::parse(&v) as i32, Ordering::Relaxed);
            }
        }
    });
}

/// Installs `sink` for records up to `level`; `None` restores the default (env or silent).
pub fn set_sink(level: Level, sink: Option<Sink>) {
    ENV_INIT.call_once(|| {});
    let has_sink = sink.is_some();
    if let Ok(mut guard) = SINK.write() {
        *guard = sink;
    }
    let level = if has_sink {
        level
    } else {
        std::env::var("NETWORK_SYSTEM_LOG")
            .map(|v| Level::parse(&v))
            .unwrap_or(Level::Off)
    };
    MAX_LEVEL.store(level as i32, Ordering::Relaxed);
}

/// True when a record at `level` would be written somewhere.
pub fn enabled(level: Level) -> bool {
    init_from_env();
    (level as i32) <= MAX_LEVEL.load(Ordering::Relaxed) && level != Level::Off
}

/// Writes one record (call through [`ns_log!`](crate::ns_log), which checks [`enabled`] first).
pub fn emit(level: Level, target: &str, args: fmt::Arguments<'_>) {
    let message = args.to_string();
    let sink = SINK.read().ok().and_then(|s| s.clone());
    match sink {
        Some(sink) => sink(level, target, &message),
        None => eprintln!("[network_system] {} {}: {}", level.name(), target, message),
    }
}

/// Logs a formatted record at the given [`Level`] when enabled.
#[macro_export]
macro_rules! ns_log {
    ($level:expr, $($arg:tt)*) => {
        if $crate::log::enabled($level) {
            $crate::log::emit($level, module_path!(), format_args!($($arg)*));
        }
    };
}
