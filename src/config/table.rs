//! Every environment variable Janua reads, with its default and meaning: the one list that
//! `janua --help` prints, `janua config check` walks (masking the secret ones), and a test
//! holds equal to the variables the reader asks for and to README's table.

/// How a variable's value may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// As it is.
    Plainly,
    /// Never: only whether it is set.
    Masked,
    /// A URL whose password (if any) is masked.
    WithoutPassword,
}

/// One environment variable.
#[derive(Debug)]
pub struct Variable {
    pub name: &'static str,
    /// The default as a reader would say it ("unset" when there is none).
    pub default: &'static str,
    pub meaning: &'static str,
    pub shown: Shown,
}

const fn var(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable {
        name,
        default,
        meaning,
        shown: Shown::Plainly,
    }
}

const fn secret(name: &'static str, meaning: &'static str) -> Variable {
    Variable {
        name,
        default: "unset",
        meaning,
        shown: Shown::Masked,
    }
}

pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "DATABASE_URL",
        default: "sqlite://janua.db?mode=rwc",
        meaning: "SQLite or postgres:// URL of the database",
        shown: Shown::WithoutPassword,
    },
    Variable {
        name: "REDIS_URL",
        default: "unset (in-process cache)",
        meaning: "redis://, rediss://, redis-cluster:// or redis-sentinel:// URL of the shared cache",
        shown: Shown::WithoutPassword,
    },
    var("REDIS_KEY_PREFIX", "janua:", "prefix of every cache key"),
    var("PORT", "4100", "the one port for gRPC, gRPC-web and REST"),
    var(
        "JANUA_BIND_ADDRESS",
        "0.0.0.0",
        "IP address the port listens on",
    ),
    var(
        "JANUA_ISSUER",
        "http://localhost:<PORT>",
        "public base URL; the JWT iss",
    ),
    var(
        "JANUA_APP_URL",
        "JANUA_ISSUER",
        "base of the links in mail (reset, verification, magic link, invitation)",
    ),
    var("ENVIRONMENT", "development", "development or production"),
    var(
        "RUST_LOG",
        "info",
        "log filter (tracing EnvFilter syntax, e.g. info,janua=debug)",
    ),
    var("LOG_FORMAT", "text", "text or json log lines"),
    var("JWT_ALGORITHM", "RS256", "RS256, ES256 or EdDSA"),
    var("ACCESS_TOKEN_EXPIRE_MINUTES", "15", "access token lifetime"),
    var("REFRESH_TOKEN_EXPIRE_DAYS", "7", "refresh token lifetime"),
    secret(
        "FIELD_ENCRYPTION_KEY",
        "32 bytes (base64 or hex) encrypting secrets at rest; required in production",
    ),
    var(
        "ADMIN_BOOTSTRAP_EMAIL",
        "unset",
        "platform administrator created at start-up while there is none",
    ),
    secret("ADMIN_BOOTSTRAP_PASSWORD", "that administrator's password"),
    var(
        "SMTP_HOST",
        "unset (mail is logged)",
        "SMTP relay for outgoing mail",
    ),
    var(
        "SMTP_PORT",
        "587",
        "SMTP relay port (STARTTLS when offered)",
    ),
    var(
        "SMTP_FROM",
        "Janua <no-reply@localhost>",
        "sender of outgoing mail",
    ),
    var("SMTP_USERNAME", "unset", "SMTP login name"),
    secret("SMTP_PASSWORD", "SMTP login password"),
    var(
        "LOGIN_DELAY_AFTER_FAILURES",
        "5",
        "failures on one account before growing delays",
    ),
    var(
        "LOGIN_LOCK_AFTER_FAILURES",
        "10",
        "failures on one account that lock it",
    ),
    var(
        "LOGIN_LOCK_SECONDS",
        "900",
        "how long a locked account stays locked",
    ),
    var(
        "LOGIN_IP_MAX_FAILURES",
        "100",
        "failures one IP (IPv6 /64) may make per window",
    ),
    var(
        "LOGIN_IP_WINDOW_SECONDS",
        "600",
        "the per-IP failure window",
    ),
    var(
        "SIGNUPS_PER_HOUR_PER_IP",
        "30",
        "sign-ups per IP (IPv6 /64) per hour",
    ),
    var(
        "SIGNUP_EXISTING_EMAIL",
        "conflict",
        "conflict or notify: what Register answers for a registered address",
    ),
    var(
        "CORS_ALLOWED_ORIGINS",
        "unset",
        "comma-separated browser origins allowed (gRPC-web, REST)",
    ),
    var(
        "WEBAUTHN_RP_ID",
        "the issuer's host",
        "passkeys' relying party id (a domain)",
    ),
    var(
        "WEBAUTHN_ORIGINS",
        "the issuer's origin",
        "comma-separated page origins allowed to use passkeys",
    ),
    var(
        "TOTP_ISSUER",
        "Janua",
        "issuer name authenticator apps show",
    ),
    var(
        "JANUA_UI_PRODUCT_NAME",
        "Janua",
        "the name the hosted account pages show",
    ),
    var(
        "JANUA_UI_LOGO_URL",
        "unset",
        "https URL of the hosted pages' logo",
    ),
    var(
        "JANUA_UI_ACCENT_COLOR",
        "#2952a3",
        "hex colour of the hosted pages' buttons and focus rings",
    ),
    var(
        "SSO_ALLOWED_REDIRECT_URIS",
        "unset",
        "comma-separated URIs StartSso may send the browser back to",
    ),
    var(
        "SSO_MFA_TRUSTED_CONNECTIONS",
        "unset",
        "SSO connection ids trusted for the second factor",
    ),
    var(
        "PASSWORD_RESET_REVOKES_CREDENTIALS",
        "false",
        "a password reset also removes passkeys and linked identities",
    ),
    var(
        "JANUA_DNS_SERVER",
        "the system's resolver",
        "ip:port of the name server domain verification asks",
    ),
    var(
        "OUTBOUND_ALLOW_LOOPBACK",
        "true in development, false in production",
        "whether IdP URLs may reach loopback addresses",
    ),
    var(
        "OUTBOUND_ALLOW_PRIVATE",
        "false",
        "whether IdP URLs may reach private addresses",
    ),
    var(
        "WEBHOOK_RETRY_SCHEDULE",
        "10s,1m,5m,30m,2h,5h,10h,24h",
        "waits between webhook delivery attempts (s, m, h, d); then the delivery fails",
    ),
    var(
        "WEBHOOK_RETRY_JITTER_PERCENT",
        "20",
        "each retry wait is spread by up to this many percent either way",
    ),
    var(
        "WEBHOOK_TIMEOUT_SECONDS",
        "10",
        "how long one webhook delivery attempt may take",
    ),
    var(
        "WEBHOOK_FAILING_AFTER_FAILURES",
        "5",
        "failed attempts in a row that mark a webhook endpoint failing",
    ),
    var(
        "WEBHOOK_DISABLE_AFTER_HOURS",
        "72",
        "how long a webhook endpoint may keep failing before it is disabled",
    ),
    var(
        "WEBHOOK_RETENTION_DAYS",
        "30",
        "how long delivered and failed webhook deliveries are kept for the delivery log",
    ),
    var(
        "WEBHOOK_DELIVERY_ENABLED",
        "true",
        "whether this node runs the webhook delivery worker",
    ),
    var(
        "WEBHOOK_ALLOW_LOOPBACK",
        "true in development, false in production",
        "whether webhook URLs may reach loopback addresses",
    ),
    var(
        "WEBHOOK_ALLOW_PRIVATE",
        "false",
        "whether webhook URLs may reach private addresses",
    ),
    var("GOOGLE_CLIENT_ID", "unset", "Google sign-in client id"),
    secret("GOOGLE_CLIENT_SECRET", "Google sign-in client secret"),
    var("GITHUB_CLIENT_ID", "unset", "GitHub sign-in client id"),
    secret("GITHUB_CLIENT_SECRET", "GitHub sign-in client secret"),
    var(
        "MICROSOFT_CLIENT_ID",
        "unset",
        "Microsoft sign-in client id",
    ),
    secret("MICROSOFT_CLIENT_SECRET", "Microsoft sign-in client secret"),
    var(
        "GOOGLE_ISSUER",
        "https://accounts.google.com",
        "Google's OIDC issuer (change only for a stand-in)",
    ),
    var(
        "MICROSOFT_ISSUER",
        "https://login.microsoftonline.com/common/v2.0",
        "Microsoft's OIDC issuer (change only for a stand-in)",
    ),
    var(
        "GITHUB_OAUTH_URL",
        "https://github.com/login/oauth",
        "GitHub's OAuth base (change only for a stand-in)",
    ),
    var(
        "GITHUB_API_URL",
        "https://api.github.com",
        "GitHub's REST base (change only for a stand-in)",
    ),
    var(
        "JANUA_REQUEST_TIMEOUT_SECONDS",
        "30",
        "time to read a request and answer it",
    ),
    var("JANUA_MAX_REQUEST_BYTES", "1048576", "largest request body"),
    var(
        "JANUA_HEADER_READ_TIMEOUT_SECONDS",
        "10",
        "time a connection has to send a request head",
    ),
    var(
        "MAX_CONNECTIONS_PER_IP",
        "256",
        "open connections per client IP (IPv6 /64)",
    ),
    var(
        "TRUSTED_PROXIES",
        "unset",
        "CIDR blocks of proxies whose Forwarded / X-Forwarded-For name the client",
    ),
    secret(
        "METRICS_BEARER_TOKEN",
        "bearer token /metrics then requires (16+ characters)",
    ),
    var(
        "METRICS_ADDRESS",
        "unset (the API port)",
        "host:port serving /metrics instead of the API port",
    ),
    var(
        "MFA_SMS_ENABLED",
        "false",
        "offer SMS factors (one-time codes by text message)",
    ),
    var(
        "MFA_EMAIL_ENABLED",
        "true when SMTP_HOST is set",
        "offer email factors (one-time codes by email)",
    ),
    var(
        "SMS_PROVIDER",
        "unset",
        "twilio or webhook (required with SMS on)",
    ),
    var("TWILIO_ACCOUNT_SID", "unset", "Twilio account SID"),
    secret("TWILIO_AUTH_TOKEN", "Twilio auth token"),
    var(
        "TWILIO_FROM_NUMBER",
        "unset",
        "sender number (or TWILIO_MESSAGING_SERVICE_SID)",
    ),
    var(
        "TWILIO_MESSAGING_SERVICE_SID",
        "unset",
        "Twilio messaging service (or TWILIO_FROM_NUMBER)",
    ),
    var(
        "TWILIO_API_BASE_URL",
        "https://api.twilio.com",
        "Twilio API base URL (a stand-in's in tests)",
    ),
    var("SMS_WEBHOOK_URL", "unset", "the webhook SMS provider's URL"),
    secret(
        "SMS_WEBHOOK_SECRET",
        "HMAC-SHA256 key signing webhook SMS requests (16+ characters)",
    ),
    var(
        "SMS_ALLOWED_COUNTRIES",
        "unset",
        "ISO 3166 alpha-2 codes SMS numbers may belong to (required with SMS on)",
    ),
    var(
        "SMS_MAX_PER_HOUR",
        "1000",
        "texts the deployment sends per hour",
    ),
    var(
        "MFA_SMS_ALLOWED_FOR_ADMINS",
        "false",
        "let a platform administrator have SMS without an app or passkey",
    ),
    var(
        "MFA_CODE_RESEND_SECONDS",
        "30",
        "wait before another code goes to the same destination",
    ),
    var(
        "MFA_CODE_MAX_PER_HOUR",
        "10",
        "codes per factor, and per destination, per hour",
    ),
];

/// The table as `--help` prints it.
pub fn help_text() -> String {
    let mut out = String::from(
        "Environment variables (also read from ./.env; the real environment wins over it):\n",
    );
    for variable in VARIABLES {
        out.push_str(&format!(
            "  {}  [default: {}]\n      {}\n",
            variable.name, variable.default, variable.meaning
        ));
    }
    out
}
