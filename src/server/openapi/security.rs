//! Security schemes and each operation's security requirement, from the RPC's
//! `janua.options.v1.access` declaration as the access layer (`server/access.rs`) enforces
//! it: an access token as `authorization: Bearer`; an API key as `x-api-key` (or as a
//! bearer token) where the audience admits API keys; nothing for public RPCs.

use serde_json::{Value, json};

use crate::principal::{Audience, Requirement};

pub const BEARER: &str = "bearerAuth";
pub const API_KEY: &str = "apiKeyAuth";

/// `components.securitySchemes`.
pub fn schemes() -> Value {
    json!({
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from Login, RefreshToken, VerifyMfaChallenge or \
                            ExchangeSsoCode (a JWT, 15 minutes by default). Where API keys \
                            are accepted, an API key (`janua_sk_…`) may be sent as the bearer \
                            token too.",
        },
        API_KEY: {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "An organization's API key (`janua_sk_…`, from CreateApiKey), for \
                            backend services.",
        },
    })
}

/// The operation's `security`: alternatives, any one of which suffices; empty for public.
pub fn requirement(requirement: &Requirement) -> Value {
    match requirement.audience {
        Audience::Public => json!([]),
        Audience::User | Audience::Admin => json!([{ BEARER: [] }]),
        Audience::Organization | Audience::Service => json!([{ BEARER: [] }, { API_KEY: [] }]),
    }
}

/// The declaration as an `x-janua-access` extension, for tools.
pub fn extension(requirement: &Requirement) -> Value {
    let audience = match requirement.audience {
        Audience::Public => "public",
        Audience::User => "user",
        Audience::Organization => "organization",
        Audience::Service => "service",
        Audience::Admin => "admin",
    };
    let mut declared = json!({ "audience": audience });
    if let Some(permission) = &requirement.permission {
        declared["permission"] = permission.as_str().into();
    }
    if requirement.admin_beyond_self {
        declared["admin_beyond_self"] = true.into();
    }
    if let Some(permission) = &requirement.other_user_permission {
        declared["other_user_permission"] = permission.as_str().into();
    }
    declared
}

/// Who may call, in a sentence for the operation's description.
pub fn sentence(requirement: &Requirement) -> String {
    let permission = requirement.permission.as_deref();
    let mut text = match requirement.audience {
        Audience::Public => "Public: no credentials needed.".to_owned(),
        Audience::User => {
            let mut text = "A signed-in user (access token; not an API key), acting on \
                            themselves"
                .to_owned();
            if requirement.admin_beyond_self {
                text.push_str("; a platform administrator may act beyond themselves");
            }
            if let Some(permission) = permission {
                text.push_str(&format!(
                    "; naming an organization needs its permission `{permission}`"
                ));
            }
            text + "."
        }
        Audience::Organization => match permission {
            Some(permission) => format!(
                "A member of the organization, or an API key it issued, whose role grants \
                 `{permission}`."
            ),
            None => "Any member of the organization, or an API key it issued.".to_owned(),
        },
        Audience::Service => {
            "A backend service: an API key, or a platform administrator's access token.".to_owned()
        }
        Audience::Admin => "A platform administrator (access token).".to_owned(),
    };
    if let Some(other) = &requirement.other_user_permission {
        text.push_str(&format!(" Naming another member also needs `{other}`."));
    }
    format!("**Access:** {text}")
}
