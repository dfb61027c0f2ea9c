# Build: a static binary (pure-Go SQLite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/zsjc ./cmd/zsjc && mkdir -p /out/data
# Online file review stamps downloads in a TrueType font with Chinese glyphs.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei && rm -rf /var/lib/apt/lists/*

# Run as an unprivileged user; uploads and documents live in /data.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/zsjc /zsjc
COPY --from=build /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
# The data dir belongs to the unprivileged user, so a fresh volume does too.
COPY --from=build --chown=65532:65532 /out/data /data
ENV ZSJC_DATA_DIR=/data ZSJC_ADDR=:8080
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/zsjc"]
CMD ["serve"]
