//! Everything a running Janua holds, built once at start-up from the configuration and
//! passed down: no global singletons.

use std::{path::Path, sync::Arc};

use prost_reflect::DescriptorPool;

use crate::{
    audit_log::AuditLog,
    auth::{AuthSettings, Authentication, Authenticator, limits::BruteForceGuard},
    cache::{self, Cache},
    clock::Clock,
    config::{Config, Environment},
    crypto::{FieldCipher, FieldKey, Keyring, PasswordHasher, load_or_create_development_key},
    import::{Importer, ServerRules},
    mail::Mailer,
    mfa::{Challenges, CodeFactors, Mfa, MfaParts, OtpCodes, RelyingParty, SecondStep},
    oauth::{
        OAuthClients,
        provider::{AuthorizationServer, AuthorizationServerParts},
    },
    orgs::Organizations,
    pages::{FormKey, PageSettings, Pages},
    revocation::Revocations,
    server::metrics::Metrics,
    sms::SmsSender,
    sso::{ConnectionRoles, Sso, SsoSettings},
    store::{self, Db},
    transfer::Transfers,
    users::Users,
    webhooks::Webhooks,
};

/// Where development keeps its generated field-encryption key when none is configured.
const DEVELOPMENT_KEY_FILE: &str = ".janua/field-encryption.key";

pub struct App {
    pub config: Arc<Config>,
    pub db: Db,
    pub cache: Arc<dyn Cache>,
    pub keyring: Arc<Keyring>,
    pub passwords: Arc<PasswordHasher>,
    pub revocations: Arc<Revocations>,
    pub auth: Arc<Authentication>,
    pub orgs: Arc<Organizations>,
    pub mfa: Arc<Mfa>,
    pub users: Arc<Users>,
    /// `janua import` and `janua export`.
    pub imports: Arc<Importer>,
    /// ImportService and ExportService, on the same engine.
    pub transfers: Arc<Transfers>,
    pub sso: Arc<Sso>,
    /// The OAuth client registry; the authorization server reads it (`find_client`,
    /// `authenticate_client`).
    pub oauth_clients: Arc<OAuthClients>,
    /// The token, introspection and revocation endpoints (`/oauth/*`).
    pub authorization_server: Arc<AuthorizationServer>,
    pub audit: Arc<AuditLog>,
    pub pages: Arc<Pages>,
    pub clock: Arc<dyn Clock>,
    pub mail: Arc<Mailer>,
    /// The SMS outbox, when `MFA_SMS_ENABLED`.
    pub sms: Option<Arc<SmsSender>>,
    /// Webhook endpoints and their delivery worker.
    pub webhooks: Arc<Webhooks>,
    pub metrics: Arc<Metrics>,
    pub descriptors: DescriptorPool,
}

/// Whether `App::start` applies pending migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    Apply,
    Skip,
}

impl App {
    /// Connects the database and cache, migrates, makes sure a signing key exists, and
    /// creates the bootstrap administrator when configured. `clock` is the one source of
    /// "now" for everything the app holds (`janua serve` passes the system clock; tests a
    /// manual one).
    pub async fn start(
        config: Config,
        migrations: Migrations,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let db = store::connect(&config.database_url).await?;
        if migrations == Migrations::Apply {
            store::migrate(&db).await?;
        }
        let cache = cache::connect(
            config.redis_url.as_deref(),
            &config.redis_key_prefix,
            clock.clone(),
        )
        .await?;
        let field_key = field_key(&config)?;
        let cipher = FieldCipher::new(&field_key);
        let relying_party = relying_party(&config, &field_key, cache.clone())?;
        let keyring = Arc::new(keyring(&config, db.clone(), cipher.clone(), clock.clone()));
        keyring.ensure_signing_key().await?;
        let mail = Arc::new(Mailer::from_config(
            &config,
            db.clone(),
            cipher.clone(),
            clock.clone(),
        )?);
        let metrics = Arc::new(Metrics::new()?);
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let passwords = Arc::new(PasswordHasher::start(cores, metrics.hashing()).await?);
        let revocations = Arc::new(Revocations::new(
            cache.clone(),
            db.clone(),
            clock.clone(),
            config.access_token_ttl,
        ));
        // One guard for the node: its per-node fallback counters are shared by sign-in and
        // the administrator's unlock.
        let limits =
            BruteForceGuard::new(cache.clone(), config.login_limits.clone(), clock.clone());
        let challenges = Arc::new(Challenges::new(cache.clone()));
        let sms = sms_sender(&config, &db, &cipher, &clock)?;
        let codes = Arc::new(OtpCodes::new(
            db.clone(),
            cache.clone(),
            field_key.derive("janua one-time code digests")?,
            config.otp.clone(),
            sms.clone(),
            mail.clone(),
            config.totp_issuer.clone(),
        ));
        let code_factors = CodeFactors::new(cipher.clone(), config.otp.clone());
        let second_step = Arc::new(SecondStep::new(
            db.clone(),
            challenges.clone(),
            relying_party.clone(),
            code_factors.clone(),
        ));
        let auth = Arc::new(Authentication::new(
            db.clone(),
            keyring.clone(),
            passwords.clone(),
            limits.clone(),
            mail.clone(),
            revocations.clone(),
            clock.clone(),
            second_step,
            AuthSettings {
                access_token_ttl: config.access_token_ttl,
                refresh_token_ttl: config.refresh_token_ttl,
                app_url: config.app_url.clone(),
                allowed_redirects: config.sso_allowed_redirect_uris.clone(),
                signup_existing_email: config.signup_existing_email,
                reset_revokes_credentials: config.password_reset_revokes_credentials,
            },
        ));
        let orgs = Arc::new(Organizations::new(
            db.clone(),
            clock.clone(),
            mail.clone(),
            revocations.clone(),
            Arc::new(ConnectionRoles),
            config.app_url.clone(),
        ));
        let sso = Arc::new(Sso::new(
            db.clone(),
            cache.clone(),
            cipher.clone(),
            clock.clone(),
            auth.clone(),
            orgs.clone(),
            SsoSettings {
                issuer: config.issuer.clone(),
                allowed_redirects: sso_redirects(&config)?,
                social: config.social.clone(),
                mfa_trusted_connections: config.sso_mfa_trusted_connections.clone(),
                outbound: config.outbound,
            },
            crate::sso::dns::HickoryTxt::lookup(config.dns_server)?,
        )?);
        let imports = Arc::new(
            Importer::new(
                db.clone(),
                cipher.clone(),
                clock.clone(),
                config.otp.sms.clone(),
            )
            .with_rules(ServerRules::of(&config)),
        );
        let transfers = Arc::new(Transfers::new(db.clone(), imports.clone(), clock.clone()));
        let webhooks = Arc::new(Webhooks::new(
            db.clone(),
            cipher.clone(),
            clock.clone(),
            config.webhooks.clone(),
        )?);
        let mfa = Arc::new(Mfa::new(
            db.clone(),
            clock.clone(),
            MfaParts {
                cipher,
                challenges,
                auth: auth.clone(),
                totp_issuer: config.totp_issuer.clone(),
                relying_party,
                codes,
                code_factors,
            },
        ));
        let users = Arc::new(Users::new(
            db.clone(),
            clock.clone(),
            passwords.clone(),
            limits.clone(),
            revocations.clone(),
        ));
        let oauth_clients = Arc::new(OAuthClients::new(db.clone(), clock.clone(), &config.issuer));
        let authenticator = Arc::new(Authenticator::new(
            keyring.clone(),
            revocations.clone(),
            db.clone(),
            clock.clone(),
        ));
        let authorization_server = Arc::new(AuthorizationServer::new(AuthorizationServerParts {
            clients: oauth_clients.clone(),
            keyring: keyring.clone(),
            guard: limits,
            auth: auth.clone(),
            authenticator: authenticator.clone(),
            db: db.clone(),
            clock: clock.clone(),
            cache: cache.clone(),
            access_token_ttl: config.access_token_ttl,
            refresh_token_ttl: config.refresh_token_ttl,
        }));
        let audit = Arc::new(AuditLog::new(db.clone()));
        let pages = Arc::new(Pages::new(PageSettings {
            auth: auth.clone(),
            mfa: mfa.clone(),
            orgs: orgs.clone(),
            authenticator,
            db: db.clone(),
            provider: authorization_server.clone(),
            sso: sso.clone(),
            form_key: FormKey::new(field_key.derive("janua hosted pages form tokens")?),
            issuer: config.issuer.clone(),
            secure_cookies: config.environment == Environment::Production
                || config.issuer.scheme() == "https",
            theme: config.ui.clone(),
        })?);
        if let Some(admin) = &config.admin_bootstrap {
            auth.bootstrap_admin(&admin.email, &admin.password).await?;
        }
        Ok(Self {
            config: Arc::new(config),
            db,
            cache,
            keyring,
            passwords,
            revocations,
            auth,
            orgs,
            mfa,
            users,
            imports,
            transfers,
            sso,
            oauth_clients,
            authorization_server,
            audit,
            pages,
            clock,
            mail,
            sms,
            webhooks,
            metrics,
            descriptors: crate::proto::descriptor_pool()?,
        })
    }
}

/// The SMS outbox and its provider when SMS is on.
fn sms_sender(
    config: &Config,
    db: &Db,
    cipher: &FieldCipher,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<Option<Arc<SmsSender>>> {
    let Some(sms) = &config.otp.sms else {
        return Ok(None);
    };
    tracing::warn!(
        "SMS codes are on: SMS is weaker than an authenticator app or a passkey (SIM swap)"
    );
    let sender = SmsSender::from_settings(
        &sms.provider,
        config.outbound,
        db.clone(),
        cipher.clone(),
        clock.clone(),
    )?;
    Ok(Some(Arc::new(sender)))
}

/// The keyring for this configuration (also used by the `keys` CLI commands).
pub fn open_keyring(config: &Config, db: Db, clock: Arc<dyn Clock>) -> anyhow::Result<Keyring> {
    Ok(keyring(
        config,
        db,
        FieldCipher::new(&field_key(config)?),
        clock,
    ))
}

fn keyring(config: &Config, db: Db, cipher: FieldCipher, clock: Arc<dyn Clock>) -> Keyring {
    Keyring::new(
        db,
        cipher,
        config.jwt_algorithm,
        config.issuer.as_str().trim_end_matches('/').to_owned(),
        config.access_token_ttl,
        clock,
    )
}

/// The import and export engine for `janua import` and `janua export`, with the field key
/// `serve` uses (FIELD_ENCRYPTION_KEY or the development key file), refused when that key
/// cannot open the database's sealed signing keys, so an import never seals secrets the
/// server cannot read. Needs no cache and writes nothing.
pub async fn open_importer(
    config: &Config,
    db: Db,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Importer> {
    let cipher = FieldCipher::new(&field_key(config)?);
    keyring(config, db.clone(), cipher.clone(), clock.clone())
        .open_published_keys()
        .await?;
    Ok(
        Importer::new(db, cipher, clock, config.otp.sms.clone())
            .with_rules(ServerRules::of(config)),
    )
}

/// Passkeys' relying party, built once from `WEBAUTHN_RP_ID` / `WEBAUTHN_ORIGINS` (or the
/// issuer); None, with a warning, when the issuer has no domain to default to.
fn relying_party(
    config: &Config,
    field_key: &FieldKey,
    cache: Arc<dyn Cache>,
) -> anyhow::Result<Option<Arc<RelyingParty>>> {
    let Some(settings) = &config.webauthn else {
        tracing::warn!(
            issuer = %config.issuer,
            "passkeys are off: the issuer's host is not a domain name; set WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS"
        );
        return Ok(None);
    };
    let decoy_key = field_key.derive("janua webauthn decoy credential ids")?;
    let party = RelyingParty::new(settings, &decoy_key, cache)?;
    tracing::info!(rp_id = %settings.rp_id, "passkeys are on");
    Ok(Some(Arc::new(party)))
}

/// The configured key; in development without one, a generated key kept in a local file.
/// (`Config` already refused production without a key.)
fn field_key(config: &Config) -> anyhow::Result<FieldKey> {
    match &config.field_encryption_key {
        Some(key) => Ok(key.clone()),
        None => {
            tracing::warn!(
                file = DEVELOPMENT_KEY_FILE,
                "FIELD_ENCRYPTION_KEY is not set: using a generated development key; set it in production"
            );
            load_or_create_development_key(Path::new(DEVELOPMENT_KEY_FILE))
        }
    }
}

/// Where SSO sign-ins may return: the configured URIs and the hosted sign-in page's own
/// return address (the OpenID Provider's "continue with" buttons).
fn sso_redirects(config: &Config) -> anyhow::Result<Vec<url::Url>> {
    let mut allowed = config.sso_allowed_redirect_uris.clone();
    let hosted = format!(
        "{}{}",
        config.issuer.as_str().trim_end_matches('/'),
        crate::pages::provider::SSO_RETURN_PATH
    );
    allowed.push(url::Url::parse(&hosted)?);
    Ok(allowed)
}
