# syntax=docker/dockerfile:1
# The verify-image container (the chart in charts/verify-image runs it): a release build whose Swift runtime,
# Foundation, OpenSSL and zlib are linked into the binary, on distroless cc (glibc only). glibc stays dynamic on
# purpose: a statically linked glibc cannot resolve registry names without NSS modules at run time.
#   docker build -t verify-image .     then pin the pushed image's digest in charts/verify-image/values.yaml
# Pin both base images by digest in your build system (the chart's own gate applies to what they produce).
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libssl-dev zlib1g-dev pkg-config \
 && rm -rf /var/lib/apt/lists/* \
 # Only the static archives are left to link against: OpenSSL and zlib go into the binary.
 && rm -f /usr/lib/*-linux-gnu/libssl.so /usr/lib/*-linux-gnu/libcrypto.so /usr/lib/*-linux-gnu/libz.so
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
RUN swift build -c release --product verify-image --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/verify-image" /out/usr/local/bin/verify-image \
 && ! ldd /out/usr/local/bin/verify-image | grep -E 'libssl|libcrypto|libz|libswift|libFoundation'

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/ /
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/verify-image"]
CMD ["serve", "--help"]
