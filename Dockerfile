# Netwatch server image. Docker is for users; the project's own tests run without it.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends fping iputils-ping snmp libsnmp-base \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY mibs ./mibs
ENV NODE_ENV=production NMS_DATA_DIR=/data NMS_HTTP_PORT=8080
VOLUME /data
EXPOSE 8080/tcp 514/udp 514/tcp 162/udp 6514/tcp
# --disable-proto=throw: Object.prototype.__proto__ cannot be used to reach the prototype (worker threads inherit it).
CMD ["node", "--openssl-legacy-provider", "--disable-proto=throw", "dist/server/main.js"]
