//! The one port: gRPC and gRPC-web (tonic, tonic-web), REST/JSON (the generic gateway),
//! reflection, health, metrics, the well-known documents and the API reference (`/docs`,
//! `/openapi.json`), behind the shared tower layers (request id, the request log line, CORS,
//! compression, timeout, body limit). A request is told apart by
//! its content type: `application/grpc*` goes to tonic, anything else to the gateway.
//! `connections` accepts the connections and names each request's client; `/metrics` may
//! need a bearer token, or live on a listener of its own (`METRICS_ADDRESS`).

pub mod access;
mod app;
mod connections;
mod docs;
pub mod gateway;
mod health;
pub mod metrics;
pub mod openapi;
mod request_log;
mod wellknown;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    middleware::{Next, from_fn, from_fn_with_state},
    response::{IntoResponse, Response},
    routing::get,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use tokio::net::TcpListener;
use tonic::{Status, service::Routes};
use tower::{Layer, ServiceExt};
use tower_http::{
    compression::{
        CompressionLayer,
        predicate::{DefaultPredicate, NotForContentType, Predicate},
    },
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
};

pub use app::{App, Migrations, open_importer, open_keyring};

use crate::{
    audit_log::grpc::AuditGrpc,
    auth::{Authenticator, grpc::AuthGrpc},
    mfa::grpc::MfaGrpc,
    oauth::grpc::OAuthClientGrpc,
    orgs::grpc::OrganizationGrpc,
    proto::{
        DESCRIPTOR_SET,
        janua::{
            audit::v1::audit_service_server::AuditServiceServer,
            auth::v1::auth_service_server::AuthServiceServer,
            imports::v1::{
                export_service_server::ExportServiceServer,
                import_service_server::ImportServiceServer,
            },
            mfa::v1::mfa_service_server::MfaServiceServer,
            oauth::v1::o_auth_client_service_server::OAuthClientServiceServer,
            orgs::v1::organization_service_server::OrganizationServiceServer,
            sso::v1::sso_service_server::SsoServiceServer,
            users::v1::user_service_server::UserServiceServer,
            webhooks::v1::webhook_service_server::WebhookServiceServer,
        },
    },
    sso::grpc::SsoGrpc,
    transfer::grpc::{ExportGrpc, ImportGrpc},
    users::grpc::UserGrpc,
    webhooks::grpc::WebhookGrpc,
};
use access::AccessControl;
use connections::{ConnectionSettings, attach_client_address, serve_connections};
use gateway::{Gateway, RouteTable};
use metrics::RpcMetrics;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The tonic services with reflection and health, behind the access and metrics layers.
struct GrpcStack {
    router: Router,
    health: tonic_health::server::HealthReporter,
}

fn grpc_stack(app: &App, access: AccessControl) -> anyhow::Result<GrpcStack> {
    let limit = app.config.max_request_bytes;
    let (health, health_service) = tonic_health::server::health_reporter();
    // Health is described too, so `grpcurl … grpc.health.v1.Health/Check` works.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let mut routes = Routes::builder();
    routes
        .add_service(
            AuthServiceServer::new(AuthGrpc::new(app.auth.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(
            UserServiceServer::new(UserGrpc::new(app.users.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(
            OrganizationServiceServer::new(OrganizationGrpc::new(app.orgs.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(
            MfaServiceServer::new(MfaGrpc::new(app.mfa.clone())).max_decoding_message_size(limit),
        )
        .add_service(
            SsoServiceServer::new(SsoGrpc::new(app.sso.clone(), app.orgs.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(
            AuditServiceServer::new(AuditGrpc::new(app.audit.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(
            OAuthClientServiceServer::new(OAuthClientGrpc::new(
                app.oauth_clients.clone(),
                app.orgs.clone(),
            ))
            .max_decoding_message_size(limit),
        )
        .add_service(
            WebhookServiceServer::new(WebhookGrpc::new(app.webhooks.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(
            ImportServiceServer::new(ImportGrpc::new(app.transfers.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(
            ExportServiceServer::new(ExportGrpc::new(app.transfers.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    let known_paths = access.clone();
    let rpc_metrics = RpcMetrics {
        metrics: app.metrics.clone(),
        known: Arc::new(move |path| {
            known_paths.requirement(path).is_some() || path.starts_with("/grpc.")
        }),
    };
    let router = routes
        .routes()
        .prepare()
        .into_axum_router()
        .layer(from_fn_with_state(access, access::enforce))
        .layer(from_fn_with_state(rpc_metrics, metrics::record));
    Ok(GrpcStack { router, health })
}

/// Where the fallback sends a request that is not one of the fixed HTTP routes.
#[derive(Clone)]
struct Edge {
    grpc_web: tonic_web::GrpcWebService<Router>,
    gateway: Gateway,
    timeout: Duration,
}

async fn dispatch(State(edge): State<Edge>, request: Request) -> Response {
    let is_grpc = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"));
    if !is_grpc {
        return edge.gateway.handle(request).await;
    }
    match tokio::time::timeout(edge.timeout, edge.grpc_web.oneshot(request)).await {
        Ok(Ok(response)) => response.map(Body::new),
        Ok(Err(never)) => match never {},
        Err(_) => Status::deadline_exceeded("the request took too long").into_http::<Body>(),
    }
}

/// The request timeout of the fixed HTTP routes (the SSO browser legs read form bodies and
/// call IdPs); the gateway and the gRPC dispatch keep their own.
async fn within_request_timeout(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => gateway::status_response(
            &Status::deadline_exceeded("the request took too long"),
            request_id.as_deref(),
        ),
    }
}

/// Builds the whole HTTP application and the gRPC health reporter it serves.
pub fn router(app: Arc<App>) -> anyhow::Result<(Router, tonic_health::server::HealthReporter)> {
    let authenticator = Arc::new(Authenticator::new(
        app.keyring.clone(),
        app.revocations.clone(),
        app.db.clone(),
        app.clock.clone(),
    ));
    let access = AccessControl::from_pool(&app.descriptors, authenticator, app.db.clone())?;
    let grpc = grpc_stack(&app, access)?;
    let routes = RouteTable::from_pool(&app.descriptors)?;
    let reference = docs::router(openapi::document_text(&app.descriptors)?);
    let edge = Edge {
        grpc_web: tonic_web::GrpcWebLayer::new().layer(grpc.router.clone()),
        gateway: Gateway::new(
            routes,
            grpc.router,
            app.config.max_request_bytes,
            app.config.request_timeout,
        ),
        timeout: app.config.request_timeout,
    };
    let fixed = Router::new()
        .route("/health", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/.well-known/jwks.json", get(wellknown::jwks))
        .route(
            "/.well-known/openid-configuration",
            get(wellknown::openid_configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(wellknown::authorization_server_metadata),
        )
        .merge(crate::sso::routes::router(app.sso.clone()))
        .merge(crate::pages::router(app.pages.clone()))
        .merge(reference);
    // With a listener of its own, /metrics is not on the API port at all.
    let fixed = if app.config.metrics.address.is_none() {
        fixed.merge(metrics_router())
    } else {
        fixed
    };
    let http = fixed
        .route_layer(from_fn_with_state(
            app.config.request_timeout,
            within_request_timeout,
        ))
        .route_layer(from_fn(request_log::note_matched_route))
        .with_state(app.clone())
        .fallback(dispatch)
        .with_state(edge)
        .layer(cors(&app.config.cors_allowed_origins));
    // The authorization server's JSON endpoints answer CORS per client (their own layer),
    // so they join after the global CORS layer, which would answer their preflights.
    let provider = crate::oauth::provider::routes::router(app.authorization_server.clone())
        .route_layer(from_fn_with_state(
            app.config.request_timeout,
            within_request_timeout,
        ))
        .route_layer(from_fn(request_log::note_matched_route));
    let http = http.merge(provider);
    let trusted_proxies = Arc::new(app.config.trusted_proxies.clone());
    let layered =
        http
            // Hosted pages put a form token beside values from the request: never compressed,
            // so their length tells an observer nothing (BREACH).
            .layer(CompressionLayer::new().compress_when(
                DefaultPredicate::new().and(NotForContentType::const_new("text/html")),
            ))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(from_fn(request_log::log_request))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(from_fn(request_log::drop_unfit_request_id))
            .layer(from_fn_with_state(trusted_proxies, attach_client_address));
    Ok((layered, grpc.health))
}

/// `GET /metrics`, for the API port or a listener of its own.
fn metrics_router() -> Router<Arc<App>> {
    Router::new().route("/metrics", get(render_metrics))
}

async fn render_metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !metrics::authorized(&headers, app.config.metrics.bearer_token.as_ref()) {
        return gateway::status_response(
            &Status::unauthenticated("/metrics needs its bearer token"),
            crate::rpc::reply::request_id(&headers),
        );
    }
    let body = app.metrics.render(crate::store::pool_usage(&app.db));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let allowed_headers = [
        "content-type",
        "authorization",
        "x-api-key",
        "x-grpc-web",
        "x-user-agent",
        "grpc-timeout",
        "x-request-id",
        "connect-protocol-version",
        "connect-timeout-ms",
    ];
    let exposed_headers = [
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        "x-request-id",
        "retry-after",
    ];
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(allowed_headers.map(HeaderName::from_static))
        .expose_headers(exposed_headers.map(HeaderName::from_static))
        .max_age(Duration::from_secs(86_400))
}

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (router, health) = router(app.clone())?;
    let settings = ConnectionSettings {
        header_read_timeout: app.config.header_read_timeout,
        max_per_ip: app.config.max_connections_per_ip,
        trusted_proxies: app.config.trusted_proxies.clone(),
    };
    let metrics_listener = match app.config.metrics.address {
        Some(address) => Some(
            TcpListener::bind(address)
                .await
                .map_err(|err| anyhow::anyhow!("binding METRICS_ADDRESS {address}: {err}"))?,
        ),
        None => None,
    };
    health::publish(&app, &health).await;
    let metrics_server = metrics_listener.map(|listener| {
        let metrics = metrics_router().with_state(app.clone());
        tokio::spawn(serve_connections(
            listener,
            metrics,
            settings.clone(),
            std::future::pending(),
        ))
    });
    let mail_worker = tokio::spawn(app.mail.clone().run());
    let sms_worker = app.sms.clone().map(|sms| tokio::spawn(sms.run()));
    let webhook_worker = app
        .config
        .webhooks
        .delivery_enabled
        .then(|| tokio::spawn(app.webhooks.clone().run()));
    let revocation_upkeep = tokio::spawn(app.revocations.clone().maintain());
    let checkpoints = tokio::spawn(crate::store::keep_checkpointed(app.db.clone()));
    let probe = tokio::spawn(health::probe(app, health));
    serve_connections(listener, router, settings, shutdown).await;
    probe.abort();
    mail_worker.abort();
    if let Some(webhook_worker) = webhook_worker {
        webhook_worker.abort();
    }
    if let Some(sms_worker) = sms_worker {
        sms_worker.abort();
    }
    revocation_upkeep.abort();
    checkpoints.abort();
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    Ok(())
}
