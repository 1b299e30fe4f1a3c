# syntax=docker/dockerfile:1
# A multi-stage build of the `contracts` binary: build with the Rust
# toolchain, run from a slim Debian image as a non-root user.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p datacontract-contracts --bin contracts

FROM debian:bookworm-slim AS runtime
RUN useradd --create-home --uid 10001 pipeline
COPY --from=build /src/target/release/contracts /usr/local/bin/contracts
USER pipeline
WORKDIR /home/pipeline
ENTRYPOINT ["contracts"]
CMD ["ddl"]
