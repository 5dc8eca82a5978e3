//! The one domain error. Every capability returns it; it becomes a `tonic::Status` (with a
//! `google.rpc.ErrorInfo` whose `reason` is the stable code of DESIGN.md) in exactly one place,
//! `From<Error> for Status` below. Unexpected failures become an opaque INTERNAL_ERROR: the
//! cause is logged, never sent.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `domain` of every `ErrorInfo` Janua emits.
pub const ERROR_DOMAIN: &str = "janua";

/// One invalid field of a request, reported as a `google.rpc.BadRequest` violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// The SSO failure kinds of DESIGN.md, each its own stable reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoFailure {
    Authentication,
    Configuration,
    Metadata,
    Certificate,
    Provisioning,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Validation {
        message: String,
        violations: Vec<FieldViolation>,
    },
    /// Bad credentials; never says which part was wrong.
    #[error("invalid credentials")]
    Authentication,
    /// A missing, invalid, expired or revoked token.
    #[error("{0}")]
    Token(String),
    #[error("multi-factor authentication required")]
    MfaRequired,
    #[error("email address not verified")]
    EmailNotVerified,
    #[error("{0}")]
    Authorization(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("account temporarily locked")]
    AccountLocked { retry_after: Duration },
    #[error("too many requests")]
    RateLimited { retry_after: Duration },
    #[error("{message}")]
    Sso {
        failure: SsoFailure,
        message: String,
    },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A validation error about one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        let violation = FieldViolation::new(field, description);
        Self::Validation {
            message: format!("{}: {}", violation.field, violation.description),
            violations: vec![violation],
        }
    }

    /// An SSO failure of the given kind.
    pub fn sso(failure: SsoFailure, message: impl Into<String>) -> Self {
        Self::Sso {
            failure,
            message: message.into(),
        }
    }

    /// The stable reason code clients switch on.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "VALIDATION_ERROR",
            Self::Authentication => "AUTHENTICATION_ERROR",
            Self::Token(_) => "TOKEN_ERROR",
            Self::MfaRequired => "MFA_REQUIRED",
            Self::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Self::Authorization(_) => "AUTHORIZATION_ERROR",
            Self::NotFound(_) => "NOT_FOUND_ERROR",
            Self::Conflict(_) => "CONFLICT_ERROR",
            Self::AccountLocked { .. } => "ACCOUNT_LOCKED",
            Self::RateLimited { .. } => "RATE_LIMIT_ERROR",
            Self::Sso { failure, .. } => match failure {
                SsoFailure::Authentication => "SSO_AUTHENTICATION_ERROR",
                SsoFailure::Configuration => "SSO_CONFIGURATION_ERROR",
                SsoFailure::Metadata => "SSO_METADATA_ERROR",
                SsoFailure::Certificate => "SSO_CERTIFICATE_ERROR",
                SsoFailure::Provisioning => "SSO_PROVISIONING_ERROR",
            },
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    pub fn code(&self) -> Code {
        match self {
            Self::Validation { .. } => Code::InvalidArgument,
            Self::Authentication | Self::Token(_) => Code::Unauthenticated,
            Self::MfaRequired | Self::EmailNotVerified | Self::AccountLocked { .. } => {
                Code::FailedPrecondition
            }
            Self::Authorization(_) => Code::PermissionDenied,
            Self::NotFound(_) => Code::NotFound,
            Self::Conflict(_) => Code::AlreadyExists,
            Self::RateLimited { .. } => Code::ResourceExhausted,
            Self::Sso { failure, .. } => match failure {
                SsoFailure::Authentication => Code::Unauthenticated,
                SsoFailure::Provisioning => Code::PermissionDenied,
                SsoFailure::Configuration | SsoFailure::Metadata | SsoFailure::Certificate => {
                    Code::FailedPrecondition
                }
            },
            Self::Internal(_) => Code::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into())
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        if let Error::Internal(cause) = &err {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut details = ErrorDetails::new();
        details.set_error_info(err.reason(), ERROR_DOMAIN, []);
        match &err {
            Error::Validation { violations, .. } if !violations.is_empty() => {
                details.set_bad_request(
                    violations
                        .iter()
                        .map(|v| tonic_types::FieldViolation::new(&v.field, &v.description))
                        .collect::<Vec<_>>(),
                );
            }
            Error::AccountLocked { retry_after } | Error::RateLimited { retry_after } => {
                details.set_retry_info(Some(*retry_after));
            }
            _ => {}
        }
        Status::with_error_details(err.code(), err.to_string(), details)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn reason_of(status: &Status) -> String {
        status.get_details_error_info().unwrap().reason
    }

    #[test]
    fn every_variant_maps_to_its_design_reason_and_code() {
        let cases: Vec<(Error, &str, Code)> = vec![
            (
                Error::invalid("email", "is not an email address"),
                "VALIDATION_ERROR",
                Code::InvalidArgument,
            ),
            (
                Error::Authentication,
                "AUTHENTICATION_ERROR",
                Code::Unauthenticated,
            ),
            (
                Error::Token("expired".into()),
                "TOKEN_ERROR",
                Code::Unauthenticated,
            ),
            (Error::MfaRequired, "MFA_REQUIRED", Code::FailedPrecondition),
            (
                Error::EmailNotVerified,
                "EMAIL_NOT_VERIFIED",
                Code::FailedPrecondition,
            ),
            (
                Error::Authorization("no".into()),
                "AUTHORIZATION_ERROR",
                Code::PermissionDenied,
            ),
            (Error::NotFound("user"), "NOT_FOUND_ERROR", Code::NotFound),
            (
                Error::Conflict("taken".into()),
                "CONFLICT_ERROR",
                Code::AlreadyExists,
            ),
            (
                Error::AccountLocked {
                    retry_after: Duration::from_secs(60),
                },
                "ACCOUNT_LOCKED",
                Code::FailedPrecondition,
            ),
            (
                Error::RateLimited {
                    retry_after: Duration::from_secs(5),
                },
                "RATE_LIMIT_ERROR",
                Code::ResourceExhausted,
            ),
            (
                Error::Sso {
                    failure: SsoFailure::Certificate,
                    message: "bad".into(),
                },
                "SSO_CERTIFICATE_ERROR",
                Code::FailedPrecondition,
            ),
            (
                Error::Internal(anyhow::anyhow!("db at /var/lib/x exploded")),
                "INTERNAL_ERROR",
                Code::Internal,
            ),
        ];
        for (err, reason, code) in cases {
            let status = Status::from(err);
            assert_eq!(status.code(), code, "{reason}");
            assert_eq!(reason_of(&status), reason);
            assert_eq!(status.get_details_error_info().unwrap().domain, "janua");
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status = Status::from(Error::Internal(anyhow::anyhow!("SELECT * FROM secrets")));
        assert_eq!(status.message(), "internal error");
    }

    #[test]
    fn validation_errors_carry_field_violations() {
        let status = Status::from(Error::invalid("email", "is required"));
        let bad_request = status.get_details_bad_request().unwrap();
        assert_eq!(bad_request.field_violations[0].field, "email");
        assert_eq!(bad_request.field_violations[0].description, "is required");
    }

    #[test]
    fn lockouts_carry_a_retry_delay() {
        let status = Status::from(Error::AccountLocked {
            retry_after: Duration::from_secs(90),
        });
        let retry = status.get_details_retry_info().unwrap();
        assert_eq!(retry.retry_delay, Some(Duration::from_secs(90)));
    }
}
