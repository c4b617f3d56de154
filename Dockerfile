# syntax=docker/dockerfile:1

# --- build: the same command CI runs (`cargo build --release --locked`), offline for sqlx.
FROM rust:1-slim-bookworm AS build
WORKDIR /app
ENV SQLX_OFFLINE=true
COPY Cargo.toml Cargo.lock ./
COPY .sqlx ./.sqlx
COPY migrations ./migrations
COPY src ./src
RUN cargo build --release --locked --bin todo-api

# --- runtime: a slim image with CA certificates, running as a non-root user.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin todo \
    && install -d -o todo /var/lib/todo-api
COPY --from=build /app/target/release/todo-api /usr/local/bin/todo-api
USER todo
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
ENTRYPOINT ["todo-api"]
CMD ["serve"]
