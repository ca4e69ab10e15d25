# syntax=docker/dockerfile:1
#
# otelcol-resilient container image: a static collector binary built with ocb
# (the same build as `make otelcol`), on a distroless base, as a non-root user.
#
#   docker build -t otelcol-resilient:dev .      (or: make docker)
#
# deploy/kubernetes/manifesttest checks this file against the Makefile (same
# ocb version, same builder invocation) and the Kubernetes manifests (same UID,
# same config path).

# --- build: ocb generates and compiles the distribution ---------------------
FROM golang:1.26 AS build

# Keep equal to BUILDER_VERSION in the Makefile.
ARG BUILDER_VERSION=v0.165.0
# A static binary: the final image has no libc. (ocb also builds with cgo off
# unless the manifest sets dist.cgo_enabled.)
ENV CGO_ENABLED=0

RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod \
    go install go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}

WORKDIR /src
COPY . .
# Same as `make otelcol`: the binary lands in _build/otelcol-resilient.
RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod \
    builder --config builder-config.yaml

# The filesink folder of the default config, owned by the runtime user.
RUN mkdir -p /out/var/lib/otelcol-resilient

# --- runtime: distroless static, non-root -----------------------------------
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /src/_build/otelcol-resilient /otelcol-resilient
COPY deploy/docker/config.yaml /etc/otelcol-resilient/config.yaml
COPY --from=build --chown=10001:10001 /out/var/lib/otelcol-resilient /var/lib/otelcol-resilient

USER 10001:10001
WORKDIR /var/lib/otelcol-resilient

# OTLP gRPC, OTLP HTTP, health_check, Prometheus self-metrics.
EXPOSE 4317 4318 13133 8888

ENTRYPOINT ["/otelcol-resilient"]
# No feature gates: the image runs the collector's defaults, as tested.
CMD ["--config", "/etc/otelcol-resilient/config.yaml"]
