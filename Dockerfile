# doppel in a container: `docker build -t doppel .` then
# `docker run --rm doppel --help`. The builder runs the Makefile's build
# target, so the image's binary is built exactly like the one CI tests.
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first: they change less often than the code, so the layer caches.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Stamped into `doppel --version`; pass them with --build-arg (the .git
# directory is not sent to the builder, so the Makefile cannot find them).
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN make build VERSION="$VERSION" COMMIT="$COMMIT" DATE="$DATE"

# distroless/static: no shell and no package manager, but CA certificates
# (TLS to a server whose certificate a public CA signed needs no --ssl-ca)
# and time zone data; it runs as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/doppel /usr/local/bin/doppel
USER nonroot:nonroot
ENTRYPOINT ["doppel"]
