# syntax=docker/dockerfile:1

# --- build: the command CI and scripts/run run, offline for sqlx. Both binaries in one
# invocation, so their shared dependencies are resolved and compiled once; the runtime
# image below takes the API's binary only.
FROM rust:1-slim-bookworm AS build
WORKDIR /app
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock ./
COPY .sqlx ./.sqlx
COPY migrations ./migrations
COPY crates ./crates
COPY src ./src
RUN cargo build --release --locked -p todo-api -p dev-issuer

FROM debian:bookworm-slim AS base
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin todo \
    && install -d -o todo /var/lib/todo-api
USER todo

# --- dev-issuer: the local Auth0 stand-in, for `docker compose up` only. It listens on
# loopback unless DEV_ISSUER_BIND says otherwise (compose sets it, and publishes the port
# on the host's loopback only).
FROM base AS dev-issuer
COPY --from=build /app/target/release/dev-issuer /usr/local/bin/dev-issuer
EXPOSE 8001
ENTRYPOINT ["dev-issuer"]

# --- runtime (the default target): the API binary only, as a non-root user.
FROM base AS runtime
COPY --from=build /app/target/release/todo-api /usr/local/bin/todo-api
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
ENTRYPOINT ["todo-api"]
CMD ["serve"]
