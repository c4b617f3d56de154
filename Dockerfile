# syntax=docker/dockerfile:1

# --- build: the API alone, the command CI runs (`cargo build --release --locked -p todo-api`),
# offline for sqlx. The workspace's other members are copied because Cargo reads their
# manifests, but only the API and the Auth0 layer are compiled.
FROM rust:1-slim-bookworm AS build
WORKDIR /app
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock ./
COPY .sqlx ./.sqlx
COPY migrations ./migrations
COPY crates ./crates
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked -p todo-api

# --- dev-issuer: the local Auth0 stand-in, for `docker compose up` only. Never part of
# the runtime image below.
FROM build AS dev-issuer-build
RUN cargo build --release --locked -p dev-issuer

FROM debian:bookworm-slim AS base
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin todo \
    && install -d -o todo /var/lib/todo-api
USER todo

FROM base AS dev-issuer
COPY --from=dev-issuer-build /app/target/release/dev-issuer /usr/local/bin/dev-issuer
ENV DEV_ISSUER_BIND=0.0.0.0:8001
EXPOSE 8001
ENTRYPOINT ["dev-issuer"]

# --- runtime (the default target): the API binary only, as a non-root user.
FROM base AS runtime
COPY --from=build /app/target/release/todo-api /usr/local/bin/todo-api
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
ENTRYPOINT ["todo-api"]
CMD ["serve"]
