# syntax=docker/dockerfile:1
# The `contracts` binary (the klines pipeline, `contracts check`), built in
# three stages: cargo-chef caches the dependencies in a layer of their own,
# a release build of the binary, and a slim runtime that runs as a non-root
# user through scripts/docker/entrypoint.sh.
#
#   docker build --build-arg GIT_COMMIT_HASH="$(git rev-parse HEAD)" -t datacontract .
#   docker run --rm datacontract --version

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS chef
# DuckDB is bundled C++: the build needs g++.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ \
 && rm -rf /var/lib/apt/lists/* \
 && cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer is reused until Cargo.lock changes.
RUN cargo chef cook --release --locked --recipe-path recipe.json --package datacontract-contracts --bin contracts
COPY . .
ARG GIT_COMMIT_HASH=unknown
ENV GIT_COMMIT_HASH=${GIT_COMMIT_HASH}
RUN cargo build --release --locked --package datacontract-contracts --bin contracts

FROM debian:bookworm-slim AS runtime
ARG GIT_COMMIT_HASH=unknown
ARG HOME_DIR=/pipeline-dataops
LABEL org.opencontainers.image.title="datacontract" \
      org.opencontainers.image.description="Typed data contracts and the BTCUSDT klines pipeline" \
      org.opencontainers.image.revision="${GIT_COMMIT_HASH}"
# ca-certificates for TLS to Google and Binance; jq for the entrypoint's
# check of the key file; tini as PID 1, so that SIGTERM and SIGINT reach
# `contracts` (which stops at a safe point) and zombies are reaped.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates jq tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 pipeline \
 && useradd --system --create-home --home-dir "${HOME_DIR}" --uid 10001 --gid 10001 pipeline
ENV GIT_COMMIT_HASH=${GIT_COMMIT_HASH} \
    HOME_DIR=${HOME_DIR} \
    HOME=${HOME_DIR}
COPY --from=build /src/target/release/contracts /usr/local/bin/contracts
COPY --chmod=0755 scripts/docker/entrypoint.sh /usr/local/bin/entrypoint.sh
COPY --chown=10001:10001 conf ${HOME_DIR}/conf
USER 10001:10001
WORKDIR ${HOME_DIR}
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/entrypoint.sh"]
CMD ["run"]
