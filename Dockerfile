# syntax=docker/dockerfile:1
# Janua's image: built in a Rust stage, run from a slim Debian with only the binary's runtime
# libraries (libxmlsec1/libxml2 for SAML signatures, OpenSSL), as a non-root user.
#   docker build -t janua .
#   docker run -p 4100:4100 -e FIELD_ENCRYPTION_KEY=... janua

FROM rust:1.95-bookworm AS build
# samael's xmlsec bindings are generated with bindgen (libclang) against these headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libxml2-dev libxmlsec1-dev libclang-dev pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin janua

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates curl libxml2 libxmlsec1 libxmlsec1-openssl libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/janua --create-home janua
COPY --from=build /src/target/release/janua /usr/local/bin/janua
USER 10001:10001
WORKDIR /var/lib/janua
ENV PORT=4100 \
    JANUA_BIND_ADDRESS=0.0.0.0 \
    DATABASE_URL="sqlite:///var/lib/janua/janua.db?mode=rwc" \
    LOG_FORMAT=json
VOLUME ["/var/lib/janua"]
EXPOSE 4100
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:4100/health/ready || exit 1
ENTRYPOINT ["janua"]
CMD ["serve"]
