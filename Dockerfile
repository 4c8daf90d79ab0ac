# hookswitch: config-as-code webhook dispatcher for PBX user events on NATS JetStream.
#
#   docker build --build-arg HOOKSWITCH_REVISION="$(git rev-parse HEAD)" -t hookswitch:0.1.0 .
#   docker run --rm -v "$PWD/integrations.d:/etc/hookswitch/integrations.d:ro" \
#     -e NATS_URL=nats://nats:4222 -p 127.0.0.1:9464:9464 --stop-timeout 60 hookswitch:0.1.0
#
# The image holds no integrations: /etc/hookswitch/integrations.d is empty, for a volume
# (ConfigMap, git checkout) to be mounted over it. To bake integrations in, build on it:
#   FROM hookswitch:0.1.0
#   COPY integrations.d /etc/hookswitch/integrations.d
# The entrypoint is `hookswitch`, so other commands run as: docker run --rm hookswitch:0.1.0 schema
#
# To pin the base image by digest, pass --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:…
# HOOKSWITCH_REVISION names the source revision built (the context holds no git history): the
# daemon reports it (hookswitch_build_info's revision label, the status page), "unknown" without.
# No `# syntax=` line: the engine's own Dockerfile frontend builds it (RUN --mount needs
# BuildKit, the default builder since Docker 23), so a build pulls nothing but the base image
# and npm packages, as where builds have no registry but their own.
# `npm run check:image` builds it and runs it as a deployment would (scripts/image-check.mjs).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile TypeScript to dist/ ----------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
COPY scripts/build-info.mjs ./scripts/
ARG HOOKSWITCH_REVISION=""
RUN npm run build

# ---- runtime: production dependencies, compiled code, schemas ------------------------------
FROM ${NODE_IMAGE} AS runtime

LABEL org.opencontainers.image.title="hookswitch" \
      org.opencontainers.image.description="Config-as-code webhook dispatcher for PBX user events on NATS JetStream" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"

WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# No lifecycle scripts are needed at run time; skipping them keeps the install inert. The npm
# cache lives in a build cache mount, so it never lands in a layer.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /src/dist ./dist
COPY schemas ./schemas
# `hookswitch` on the PATH, as npm links the package's bin: dist/cli.js (executable, with a
# `#!/usr/bin/env node` line). An empty integrations folder to mount a volume on (the repo's
# integrations.d holds examples that need local receivers and secrets, so it stays out).
RUN mkdir -p /etc/hookswitch/integrations.d && ln -s /app/dist/cli.js /usr/local/bin/hookswitch

# The base image's unprivileged `node` user, given by number so that Kubernetes'
# runAsNonRoot can verify it. Files stay owned by root: the daemon only reads them.
USER 1000:1000

ENV NODE_ENV=production \
    HOOKSWITCH_DIR=/etc/hookswitch/integrations.d \
    HOOKSWITCH_HTTP_ADDR=0.0.0.0:9464

# /healthz, /readyz, /metrics and the status page.
EXPOSE 9464

# Slim images have no curl: ask node itself. It reads the address from HOOKSWITCH_HTTP_ADDR
# (host:port, [IPv6]:port): a wildcard host (0.0.0.0, [::] or none) is probed on loopback,
# any other host as it is. In a container, set the address with HOOKSWITCH_HTTP_ADDR rather
# than --http-addr: the health check cannot see the command's flags.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "const m=/^(?:\\[([^\\]]+)\\]|([^:]*)):(\\d{1,5})$/.exec((process.env.HOOKSWITCH_HTTP_ADDR||'0.0.0.0:9464').trim());if(!m)process.exit(1);const h=m[1]??m[2];const host=h===''||h==='0.0.0.0'?'127.0.0.1':h==='::'?'[::1]':h.includes(':')?'['+h+']':h;fetch('http://'+host+':'+m[3]+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Node runs as PID 1 here, where the kernel applies no default signal actions; hookswitch
# handles SIGTERM/SIGINT itself (graceful stop within HOOKSWITCH_GRACE_PERIOD, then exit 0)
# and starts no child processes, so no extra init is needed. Give the container a stop
# timeout above the grace period plus 35 s (keeping aborted deliveries, the NATS drain and
# the last closes, each bounded), e.g. 60 s with the default 20 s
# (docker stop -t 60, stop_grace_period, terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["hookswitch"]
CMD ["run"]
