# syntax=docker/dockerfile:1
#
# A small static image of usergraph: built without cgo (SQLite is pure Go,
# MongoDB needs no C library), run as a non-root user from distroless.
#
#   docker build -t usergraph .
#   docker run -p 8080:8080 usergraph                                    # SQLite in /home/nonroot/data
#   docker run -p 8080:8080 -e USERGRAPH_DATABASE_URL=mongodb://… usergraph
#
# docker-compose.yml starts it together with MongoDB; docs/MONGODB.md.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/usergraph . \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
# The default database (sqlite:./data/usergraph.db) lives here; the
# directory is owned by nonroot so a volume mounted on it is writable.
WORKDIR /home/nonroot
COPY --from=build --chown=nonroot:nonroot /out/data ./data
COPY --from=build /out/usergraph /usr/local/bin/usergraph
USER nonroot:nonroot
# Inside a container the server must listen on every interface.
ENV USERGRAPH_LISTEN=0.0.0.0:8080
EXPOSE 8080
VOLUME ["/home/nonroot/data"]
ENTRYPOINT ["/usr/local/bin/usergraph"]
