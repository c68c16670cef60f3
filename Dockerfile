# Netwatch server image. Docker is for users; the project's own tests run without it.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Runs as the image's `node` user (uid/gid 1000), not root. Syslog 514 and traps 162 are
# privileged ports and ICMP needs raw sockets, so node, fping and ping carry file capabilities:
# node NET_BIND_SERVICE + NET_RAW, fping/ping NET_RAW (set here, not left to the packages' scripts,
# which fall back to setuid root without libcap2-bin). File capabilities, because Docker and
# Kubernetes give a non-root process no ambient capabilities. The container must keep both in its
# capability set: Docker's default set has them; Kubernetes: capabilities drop ALL, add
# NET_BIND_SERVICE and NET_RAW (deploy/kubernetes). With either missing the kernel refuses to run
# node (EPERM: its capabilities are "effective", i.e. required).
RUN apt-get update && apt-get install -y --no-install-recommends fping iputils-ping snmp libsnmp-base libcap2-bin \
    && setcap cap_net_bind_service,cap_net_raw+ep "$(readlink -f /usr/local/bin/node)" \
    && chmod u-s /usr/bin/fping /usr/bin/ping \
    && setcap cap_net_raw+ep /usr/bin/fping && setcap cap_net_raw+ep /usr/bin/ping \
    && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && mkdir /data && chown 1000:1000 /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY mibs ./mibs
COPY templates ./templates
ENV NODE_ENV=production NMS_DATA_DIR=/data NMS_HTTP_PORT=8080
# /data (owned by 1000 above) is the only place the server writes; the root file system may be
# read-only (Kubernetes readOnlyRootFilesystem; give it a writable /tmp).
VOLUME /data
USER 1000:1000
EXPOSE 8080/tcp 514/udp 514/tcp 162/udp 6514/tcp
# node itself, no shell in between: the base image's ENTRYPOINT (docker-entrypoint.sh, a shell
# script) is cleared, because under no_new_privs (Kubernetes allowPrivilegeEscalation: false) a
# shell run as uid 1000 drops the capabilities and node could not get them back.
ENTRYPOINT []
# --disable-proto=throw: Object.prototype.__proto__ cannot be used to reach the prototype (worker threads inherit it).
CMD ["node", "--openssl-legacy-provider", "--disable-proto=throw", "dist/server/main.js"]
