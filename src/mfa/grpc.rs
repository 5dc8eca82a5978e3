//! MfaService over gRPC: converts the request, calls one domain function with the caller,
//! and maps the result. No rules here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{Answer, FactorView, ListedKind, Mfa};
use crate::{
    auth::grpc::signed_in,
    credentials::Email,
    error::Error,
    ids::FactorId,
    metadata::timestamp,
    proto::janua::mfa::v1::{
        self as pb, mfa_service_server::MfaService,
        verify_mfa_challenge_request::Answer as PbAnswer,
    },
    rpc::{client_info, principal},
};

pub struct MfaGrpc {
    mfa: Arc<Mfa>,
}

impl MfaGrpc {
    pub fn new(mfa: Arc<Mfa>) -> Self {
        Self { mfa }
    }
}

/// None for a blank email (a discoverable sign-in).
fn optional_email(raw: &str) -> Result<Option<Email>, Error> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        Email::parse("email", raw).map(Some)
    }
}

fn factor_id(raw: &str) -> Result<FactorId, Error> {
    FactorId::parse("factor_id", raw)
}

fn factor_to_proto(factor: FactorView) -> pb::Factor {
    let kind = match factor.kind {
        ListedKind::Totp => pb::FactorType::Totp,
        ListedKind::Passkey => pb::FactorType::Passkey,
        ListedKind::RecoveryCodes => pb::FactorType::RecoveryCodes,
    };
    let status = if factor.active {
        pb::FactorStatus::Active
    } else {
        pb::FactorStatus::Pending
    };
    pb::Factor {
        id: factor.id,
        r#type: kind.into(),
        status: status.into(),
        name: factor.name,
        create_time: Some(timestamp(factor.created_at)),
        last_use_time: factor.last_used_at.map(timestamp),
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl MfaService for MfaGrpc {
    async fn list_factors(
        &self,
        request: Request<pb::ListFactorsRequest>,
    ) -> Reply<pb::ListFactorsResponse> {
        let caller = principal(&request)?;
        let factors = self.mfa.list_factors(&caller).await?;
        Ok(Response::new(pb::ListFactorsResponse {
            factors: factors.into_iter().map(factor_to_proto).collect(),
            next_page_token: String::new(),
        }))
    }

    async fn enroll_totp(
        &self,
        request: Request<pb::EnrollTotpRequest>,
    ) -> Reply<pb::EnrollTotpResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let enrolled = self.mfa.enroll_totp(&caller, &client).await?;
        Ok(Response::new(pb::EnrollTotpResponse {
            factor_id: enrolled.factor_id,
            secret: enrolled.secret_base32,
            otpauth_uri: enrolled.otpauth_uri,
            qr_png: enrolled.qr_png,
        }))
    }

    async fn confirm_totp(
        &self,
        request: Request<pb::ConfirmTotpRequest>,
    ) -> Reply<pb::ConfirmTotpResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let body = request.into_inner();
        let recovery_codes = self
            .mfa
            .confirm_totp(
                &caller,
                &factor_id(&body.factor_id)?,
                &body.totp_code,
                &client,
            )
            .await?;
        Ok(Response::new(pb::ConfirmTotpResponse { recovery_codes }))
    }

    async fn delete_factor(
        &self,
        request: Request<pb::DeleteFactorRequest>,
    ) -> Reply<pb::DeleteFactorResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let body = request.into_inner();
        self.mfa
            .delete_factor(
                &caller,
                &factor_id(&body.factor_id)?,
                &body.totp_code,
                &client,
            )
            .await?;
        Ok(Response::new(pb::DeleteFactorResponse {}))
    }

    async fn update_factor(
        &self,
        request: Request<pb::UpdateFactorRequest>,
    ) -> Reply<pb::UpdateFactorResponse> {
        let caller = principal(&request)?;
        let body = request.into_inner();
        let factor = self
            .mfa
            .rename_factor(&caller, &factor_id(&body.factor_id)?, &body.name)
            .await?;
        Ok(Response::new(pb::UpdateFactorResponse {
            factor: Some(factor_to_proto(factor)),
        }))
    }

    async fn regenerate_recovery_codes(
        &self,
        request: Request<pb::RegenerateRecoveryCodesRequest>,
    ) -> Reply<pb::RegenerateRecoveryCodesResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let recovery_codes = self
            .mfa
            .regenerate_recovery_codes(&caller, &request.get_ref().totp_code, &client)
            .await?;
        Ok(Response::new(pb::RegenerateRecoveryCodesResponse {
            recovery_codes,
        }))
    }

    async fn begin_passkey_registration(
        &self,
        request: Request<pb::BeginPasskeyRegistrationRequest>,
    ) -> Reply<pb::BeginPasskeyRegistrationResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let body = request.into_inner();
        let started = self
            .mfa
            .begin_passkey_registration(&caller, &body.name, &body.totp_code, &client)
            .await?;
        Ok(Response::new(pb::BeginPasskeyRegistrationResponse {
            challenge_id: started.challenge_id,
            options_json: started.options_json,
        }))
    }

    async fn finish_passkey_registration(
        &self,
        request: Request<pb::FinishPasskeyRegistrationRequest>,
    ) -> Reply<pb::FinishPasskeyRegistrationResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let body = request.into_inner();
        let enrolled = self
            .mfa
            .finish_passkey_registration(
                &caller,
                &body.challenge_id,
                &body.credential_json,
                &body.name,
                &client,
            )
            .await?;
        Ok(Response::new(pb::FinishPasskeyRegistrationResponse {
            factor: Some(factor_to_proto(enrolled.factor)),
            recovery_codes: enrolled.recovery_codes,
        }))
    }

    async fn begin_passkey_login(
        &self,
        request: Request<pb::BeginPasskeyLoginRequest>,
    ) -> Reply<pb::BeginPasskeyLoginResponse> {
        let started = self
            .mfa
            .begin_passkey_login(optional_email(&request.get_ref().email)?.as_ref())
            .await?;
        Ok(Response::new(pb::BeginPasskeyLoginResponse {
            challenge_id: started.challenge_id,
            options_json: started.options_json,
        }))
    }

    async fn finish_passkey_login(
        &self,
        request: Request<pb::FinishPasskeyLoginRequest>,
    ) -> Reply<pb::FinishPasskeyLoginResponse> {
        let client = client_info(&request);
        let body = request.into_inner();
        let (user, tokens) = signed_in(
            self.mfa
                .finish_passkey_login(&body.challenge_id, &body.credential_json, &client)
                .await?,
        );
        Ok(Response::new(pb::FinishPasskeyLoginResponse {
            user,
            tokens,
        }))
    }

    async fn verify_mfa_challenge(
        &self,
        request: Request<pb::VerifyMfaChallengeRequest>,
    ) -> Reply<pb::VerifyMfaChallengeResponse> {
        let client = client_info(&request);
        let body = request.into_inner();
        let answer = match body.answer {
            Some(PbAnswer::TotpCode(code)) => Answer::Totp(code),
            Some(PbAnswer::RecoveryCode(code)) => Answer::RecoveryCode(code),
            Some(PbAnswer::PasskeyAssertionJson(json)) => Answer::Passkey(json),
            None => {
                return Err(Error::invalid(
                    "answer",
                    "give one of totp_code, recovery_code or passkey_assertion_json",
                )
                .into());
            }
        };
        let (user, tokens) = signed_in(
            self.mfa
                .verify_challenge(&body.challenge_id, answer, &client)
                .await?,
        );
        Ok(Response::new(pb::VerifyMfaChallengeResponse {
            user,
            tokens,
        }))
    }
}
