//! Refusals as JSON, with the HTTP status of their class (docs/API.md, "Errors").

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ledger_core::Error;
use ledger_core::input::LineError;
use serde::Serialize;
use serde_json::Value;

/// A refusal: its status, and the body `{"error": {...}, "answer"?: ...}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Box<ErrorBody>,
    /// Whether the answer asks for a bearer token (`WWW-Authenticate`).
    challenge: bool,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    error: ErrorDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<Value>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl ApiError {
    /// A refusal with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                error: ErrorDetail { code, message: message.into(), line: None, key: None, field: None },
                answer: None,
            }),
            challenge: false,
        }
    }

    /// Asks for a bearer token (a 401's `WWW-Authenticate: Bearer`).
    pub fn www_authenticate(&mut self) {
        self.challenge = true;
    }

    /// 400: a parameter that does not parse.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: what was asked for is not there; `answer` is the empty answer, naming its head.
    pub fn not_found(message: impl Into<String>, answer: Option<Value>) -> ApiError {
        let mut e = ApiError::new(StatusCode::NOT_FOUND, "not_found", message);
        e.body.answer = answer;
        e
    }

    /// 422: input that breaks a rule of its own (a list file that does not read, a guard).
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// 500: a bug.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A refused input line: 409 when it conflicts with what the ledger holds, else 422; the
    /// message is `append`'s, and the line, key and field are given apart.
    pub fn line(l: &LineError, name: &str) -> ApiError {
        let (status, code) =
            if l.conflict { (StatusCode::CONFLICT, "conflict") } else { (StatusCode::UNPROCESSABLE_ENTITY, "invalid") };
        let mut e = ApiError::new(status, code, format!("{name}: {l}; nothing was written"));
        e.body.error.line = Some(l.line);
        e.body.error.key = l.key.clone();
        e.body.error.field = l.field.clone();
        e
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error's code (`invalid`, `conflict`, `unacknowledged`, ...).
    pub fn code(&self) -> &'static str {
        self.body.error.code
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Input(l) => ApiError::line(&l, "the request body"),
            Error::Refused(_) | Error::Actor => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{message}; nothing was written"))
            }
            Error::NotFound { key } => {
                let mut e = ApiError::not_found(message, None);
                e.body.error.key = Some(key);
                e
            }
            Error::Damaged { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "damaged",
                format!("{message}; the server's operator must restore it from an export"),
            ),
            Error::Unacknowledged { .. } => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "unacknowledged", message),
            Error::NoLedger { .. } | Error::Exists { .. } | Error::Locked { .. } | Error::Io { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            Error::Internal(_) => ApiError::internal(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(*self.body)).into_response();
        if self.challenge {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
