# syntax=docker/dockerfile:1
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sesame ./cmd/sesame

# A static binary on an empty base: no shell, no package manager, a non-root user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/sesame /sesame
USER 65532:65532
EXPOSE 8080
ENV SESAME_LISTEN=0.0.0.0:8080
ENTRYPOINT ["/sesame"]
CMD ["serve"]
