# Warden: the production build, served by node server.mjs. See docs/DEPLOY.md.
# Start-up runs what scripts/start.sh runs after its build step: scripts/setup.ts
# (database, roles, migrations, the app role's password; demo data only with
# WARDEN_SEED_DEMO=1), then the server. Needs DATABASE_URL (owner/migrator).
FROM node:20-bookworm-slim

ENV NEXT_TELEMETRY_DISABLED=1
WORKDIR /app

# Dependencies first (cached while only the source changes). The postinstall
# generates the Prisma client from prisma/schema.prisma.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund

COPY . .
RUN npx --no-install next build \
 && mkdir -p /app/.warden && chown node:node /app/.warden

USER node
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
EXPOSE 3000
# Generated secrets (when not passed in) are kept here: mount a volume.
VOLUME ["/app/.warden"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

CMD ["sh", "-c", "node --import tsx scripts/setup.ts ${WARDEN_SEED_DEMO:+--seed} --runtime-env .warden/runtime.env --port \"$PORT\" && set -a && . ./.warden/runtime.env && set +a && exec node server.mjs"]
