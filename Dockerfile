# Spotik container image, multi-stage from debian:bookworm-slim. Targets:
#   development  toolchain, gdb/gdbserver (:9229), ccache; the source is mounted at /app and
#                docker/dev/dev-loop.sh rebuilds and restarts the server on every change
#   production   (the default) runtime libraries, the stripped binary and the migrations;
#                runs as uid 1000; only /app/storage and /app/logs are writable; no curl:
#                the HEALTHCHECK is `spotik healthcheck` (GET /ready on the server's port)
# Builds with the classic builder (no BuildKit features, no syntax line):
#   DOCKER_BUILDKIT=0 docker build --target production -t spotik:latest .
# Stage order matters to the classic builder, which builds every stage before the target:
# `--target development` therefore never compiles the release binary.
ARG DEBIAN_IMAGE=debian:bookworm-slim

# Compilers and -dev packages: the same list as a native build (scripts/install-deps.sh).
FROM ${DEBIAN_IMAGE} AS toolchain
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/install-deps.sh /usr/local/lib/spotik/install-deps.sh
RUN /usr/local/lib/spotik/install-deps.sh build \
 && rm -rf /var/lib/apt/lists/*

FROM toolchain AS development
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends gdb gdbserver inotify-tools ccache procps curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 spotik \
 && useradd --uid 1000 --gid 1000 --home-dir /home/spotik --create-home --shell /bin/bash spotik \
 && mkdir -p /app /build /ccache /data \
 && chown spotik:spotik /app /build /ccache /data \
 && ln -s /build/debug/spotik /usr/local/bin/spotik
COPY docker/dev/dev-loop.sh /usr/local/bin/spotik-dev-loop
ENV APP_ENV=development \
    DATA_PATH=/data \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=3000 \
    CCACHE_DIR=/ccache \
    SPOTIK_SOURCE=/app \
    SPOTIK_BUILD=/build
WORKDIR /app
USER 1000:1000
EXPOSE 3000 9229
CMD ["spotik-dev-loop"]

# Release build; the tests are not built and nothing of this stage but the binary and the
# list of its runtime packages reaches the production image.
FROM toolchain AS build
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY bench/CMakeLists.txt bench/CMakeLists.txt
COPY migrations migrations
COPY src src
COPY docker/runtime-packages.sh /usr/local/bin/runtime-packages
RUN cmake --preset release -DSPOTIK_TESTS=OFF >/dev/null \
 && cmake --build --preset release -j "$(nproc)" \
 && mkdir /out \
 && strip -o /out/spotik build/release/spotik \
 && runtime-packages /out/spotik >/out/runtime-packages.txt \
 && /out/spotik --version

FROM ${DEBIAN_IMAGE} AS production
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update -qq \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y -qq --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt /var/cache/debconf/*-old /var/log/* \
 && groupadd --gid 1000 spotik \
 && useradd --uid 1000 --gid 1000 --home-dir /app --no-create-home --shell /usr/sbin/nologin spotik \
 && mkdir -p /app/storage /app/logs \
 && chown spotik:spotik /app/storage /app/logs
COPY --from=build /out/spotik /usr/local/bin/spotik
COPY migrations /app/migrations
ENV APP_ENV=production \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=3000 \
    DATA_PATH=/app/storage \
    LOG_FORMAT=json
WORKDIR /app
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["spotik", "healthcheck"]
ENTRYPOINT ["spotik"]
CMD ["serve"]
