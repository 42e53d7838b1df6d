//! The application layer's one error type: a stable machine-readable code, a message meant
//! for the person who asked, and (for internal failures) the cause, which front ends log but
//! never show to a remote client.

use std::fmt;

/// What kind of failure an [`AppError`] is; front ends map it to an exit code or an HTTP
/// status in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (a malformed query, an unknown state): fix and retry.
    Invalid,
    /// The caller is not known (no or a bad token, a disabled user).
    Unauthenticated,
    /// The caller is known but their role may not do this.
    Forbidden,
    NotFound,
    /// The request is valid but the current state refuses it (an invalid transition, an item
    /// changed by someone else meanwhile, a name already taken).
    Conflict,
    /// The caller tried too often (failed sign-ins): wait, then retry.
    TooManyRequests,
    /// Something broke inside hark (the store, the index, the model).
    Internal,
}

/// An application error. `code` is stable across releases (clients branch on it); `message`
/// says what happened and what to do.
#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    /// The internal cause, for logs only.
    pub source: Option<anyhow::Error>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self { kind, code, message: message.into(), source: None }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, code, message)
    }

    pub fn not_found(what: &str, id: impl fmt::Display) -> Self {
        Self::new(ErrorKind::NotFound, "not_found", format!("no {what} {id}"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "forbidden", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, "unauthenticated", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    /// An internal failure: `what` says what hark was doing; the cause is kept for the log.
    pub fn internal(what: impl Into<String>, source: impl Into<anyhow::Error>) -> Self {
        Self { kind: ErrorKind::Internal, code: "internal", message: what.into(), source: Some(source.into()) }
    }

    /// The same error with its cause (an unreadable file behind `invalid`, say).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<anyhow::Error>) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|source| source.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// An internal failure already described by its context chain (`anyhow`'s `.context(..)`):
/// the outermost context is the message, the rest the cause.
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        let mut chain = err.chain();
        let message = chain.next().map(ToString::to_string).unwrap_or_default();
        let causes: Vec<String> = chain.map(ToString::to_string).collect();
        let source = (!causes.is_empty()).then(|| anyhow::anyhow!(causes.join(": ")));
        Self { kind: ErrorKind::Internal, code: "internal", message, source }
    }
}

/// Turns any internal error into an [`AppError`] that says what hark was doing.
pub trait Context<T> {
    fn internal(self, what: &str) -> Result<T, AppError>;

    /// An internal failure whose own message already says what hark was doing (errors of
    /// the pipeline, the classifier, a dataset reader).
    fn described(self) -> Result<T, AppError>;
}

impl<T, E: Into<anyhow::Error>> Context<T> for Result<T, E> {
    fn internal(self, what: &str) -> Result<T, AppError> {
        self.map_err(|source| AppError::internal(what, source))
    }

    fn described(self) -> Result<T, AppError> {
        self.map_err(|source| AppError::from(source.into()))
    }
}

pub type AppResult<T> = Result<T, AppError>;
